import { describeProblem } from '../api/problem.ts';

/** A problem the API answered, in words, announced to screen readers as an alert. */
export const ProblemNotice = ({ error }: { error: unknown }) => {
  if (error === null || error === undefined) return null;
  const { headline, detail } = describeProblem(error);
  return (
    <div class="notice notice-error" role="alert">
      <strong>{headline}.</strong> {detail}
    </div>
  );
};

/** A success message, announced politely. */
export const SuccessNotice = ({ text }: { text: string | null }) =>
  text === null ? null : (
    <div class="notice notice-ok" role="status">
      {text}
    </div>
  );
