/**
 * A small price line: the last prices of one coin, scaled to its own range. The values are
 * plotting coordinates only; prices themselves stay exact decimals everywhere else.
 */
export const Sparkline = ({ values, label }: { values: readonly number[]; label: string }) => {
  const width = 72;
  const height = 28;
  if (values.length < 2)
    return <svg class="spark" width={width} height={height} aria-hidden="true" />;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const points = values
    .map((value, i) => {
      const x = (i / (values.length - 1)) * (width - 2) + 1;
      const y = height - 1 - ((value - min) / span) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  const first = values[0] ?? 0;
  const last = values[values.length - 1] ?? 0;
  const trend = last > first ? 'up' : last < first ? 'down' : 'flat';
  return (
    <svg
      class={`spark spark-${trend}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${trend === 'flat' ? 'unchanged' : `trending ${trend}`} over the last ${values.length} prices`}
    >
      <polyline points={points} fill="none" stroke-width="1.5" />
    </svg>
  );
};
