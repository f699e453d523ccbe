import { SETTINGS } from './settings.ts';

/** The README's configuration table, generated from SETTINGS (`npm run config:table`). */
export const settingsTable = (): string => {
  const escape = (text: string) => text.replaceAll('|', '\\|');
  const rows = SETTINGS.map((setting) => {
    const fallback =
      typeof setting.default === 'function'
        ? setting.key === 'mailOutboxDir'
          ? '`<data-dir>/outbox`'
          : 'derived'
        : setting.default === ''
          ? '(empty)'
          : `\`${setting.default}\``;
    return `| \`${setting.env}\` | \`${setting.flag}\` | ${escape(fallback)} | ${escape(setting.description)} Allowed: ${escape(setting.allowed)}. |`;
  });
  return ['| env var | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
};
