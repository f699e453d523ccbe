import type { ComponentChildren } from 'preact';
import type { ApiProblem } from '../api/problem.ts';

/** A labelled input with its hint and the API's error for it, tied by aria-describedby. */
export const Field = (props: {
  id: string;
  label: string;
  name: string;
  problem?: ApiProblem | null;
  hint?: ComponentChildren;
  children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}) => {
  const error = props.problem?.fields[props.name];
  const ids = [props.hint ? `${props.id}-hint` : '', error ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children(ids || undefined, error !== undefined)}
      {props.hint ? (
        <div class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      ) : null}
      {error ? (
        <div class="field-error" id={`${props.id}-error`}>
          {props.name} {error}
        </div>
      ) : null}
    </div>
  );
};
