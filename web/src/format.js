// Dates in the Chinese style and live countdowns. Server instants carry +08:00; they are shown as
// written (Beijing time), whatever the browser's zone.

const RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;

export function zhTime(s, locale = "zh-CN") {
  if (!s) return "";
  const m = RE.exec(s);
  if (!m) return String(s);
  if (locale.startsWith("en")) return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
}

export function zhDate(s, locale = "zh-CN") {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || "");
  if (!m) return s || "";
  return locale.startsWith("en") ? `${m[1]}-${m[2]}-${m[3]}` : `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

/// The parts of a duration in ms: days, hours, minutes, seconds.
export function parts(ms) {
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  return { d, h, m, s: s - m * 60 };
}

function span(ms, locale) {
  const { d, h, m, s } = parts(ms);
  const en = locale.startsWith("en");
  if (d > 0) return en ? `${d}d ${h}h` : `${d}天${h}小时`;
  if (h > 0) return en ? `${h}h ${m}m` : `${h}小时${m}分`;
  if (m > 0) return en ? `${m}m ${s}s` : `${m}分${s}秒`;
  return en ? `${s}s` : `${s}秒`;
}

/// "剩余 3小时12分" before due, "已超期 2天5小时" after; null when there is no due instant.
export function countdown(due, nowMs, locale = "zh-CN") {
  if (!due) return null;
  const t = Date.parse(due);
  if (Number.isNaN(t)) return null;
  const left = t - nowMs;
  const en = locale.startsWith("en");
  if (left >= 0) return { overdue: false, text: en ? `${span(left, locale)} left` : `剩余 ${span(left, locale)}` };
  return { overdue: true, text: en ? `overdue by ${span(left, locale)}` : `已超期 ${span(left, locale)}` };
}

/// Where the clock bar's marks fall, in percent of the bar: the bar runs from the start to the later
/// of due and the end (stop, or now for a running clock).
export function clockGeometry({ started, due, stopped }, nowMs) {
  const s = Date.parse(started);
  const d = Date.parse(due);
  if (Number.isNaN(s) || Number.isNaN(d) || d <= s) return null;
  const end = stopped ? Date.parse(stopped) : nowMs;
  const right = Math.max(d, end);
  const width = right - s || 1;
  const pct = (t) => Math.min(100, Math.max(0, ((t - s) / width) * 100));
  return { due: pct(d), end: pct(end), stopped: Boolean(stopped), beyond: end > d };
}

export function newEventId() {
  const rand = Math.random().toString(36).slice(2, 10);
  return `ui-${Date.now().toString(36)}-${rand}`;
}

/// An instant from a date picker (a Date) as RFC 3339 in +08:00.
export function toInstant(date) {
  if (!date) return "";
  const t = new Date(date.getTime() + 8 * 3600 * 1000);
  const iso = t.toISOString().slice(0, 19);
  return `${iso}+08:00`;
}
