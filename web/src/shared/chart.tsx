/**
 * A time-series line chart on uPlot (canvas; it styles its own elements through the DOM, which the pages'
 * Content-Security-Policy allows, unlike inline style attributes). Resizes with its container.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
}

export function LineChart(props: {
  title: string;
  times: number[];
  series: Series[];
  yFormat: (v: number) => string;
  yRange?: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: 220,
      series: [
        {},
        ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false, value: (_u: uPlot, v: number | null) => (v === null ? "–" : props.yFormat(v)) })),
      ],
      axes: [{}, { values: (_u, vals) => vals.map((v) => props.yFormat(v)), size: 64 }],
      scales: props.yRange ? { y: { range: props.yRange } } : {},
      legend: { live: true },
    };
    const plot = new uPlot(opts, [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series, props.title]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title} chart`} />
    </figure>
  );
}
