// SLA clocks as the server sends them with a booking (`clocks`: {clock, state, startedAt, dueAt,
// stoppedAt}), counted down in the browser from Date.now() so a page shows them live between
// answers. The rules are the server's (Domain.ServiceLevels.status): a clock is at risk once 80 %
// of its time is gone (`warningPercent`), breached past its due time, met or breached once
// stopped.
//
//   clockState(clock, nowMs)  -> { state: 'ok' | 'amber' | 'red' | 'met', remainingSeconds }
//   renderClock(clock)        -> <span class="clock …" data-clock=… data-state=…>label m:ss</span>
//   runningClock(clocks)      -> the clock a board shows for a booking (running, due first)
//   tickClocks(root)          -> updates every rendered clock under root each second; returns stop
import { h } from './dom.js';
import { t, register, formatDuration, formatTime } from './i18n.js';

/** The share of a clock's time after which it is at risk: ServiceLevels.warningPercent. */
export const WARNING_PERCENT = 80;

register({
  zh: {
    'clock.confirm': '确认', 'clock.match': '派车', 'clock.notify': '通知', 'clock.onSite': '到场',
    'clock.replacementStart': '替换派车', 'clock.replacementArrival': '替换到场', 'clock.complaintContact': '投诉联系',
    'clock.complaintResult': '投诉答复', 'clock.callback': '回访', 'clock.invoice': '开票', 'clock.route': '路线',
    'clock.met': '已达成', 'clock.late': '超时 {time}', 'clock.metLate': '超时达成',
    'clock.title.ok': '{clock}：剩余 {time}（{due} 到期）', 'clock.title.amber': '{clock}：即将超时，剩余 {time}（{due} 到期）',
    'clock.title.red': '{clock}：已超时 {time}（{due} 到期）', 'clock.title.met': '{clock}：已按时达成',
  },
  en: {
    'clock.confirm': 'Confirm', 'clock.match': 'Match', 'clock.notify': 'Notify', 'clock.onSite': 'On site',
    'clock.replacementStart': 'Replacement', 'clock.replacementArrival': 'Replacement on site', 'clock.complaintContact': 'Complaint contact',
    'clock.complaintResult': 'Complaint result', 'clock.callback': 'Callback', 'clock.invoice': 'Invoice', 'clock.route': 'Route',
    'clock.met': 'met', 'clock.late': 'late {time}', 'clock.metLate': 'met late',
    'clock.title.ok': '{clock}: {time} left (due {due})', 'clock.title.amber': '{clock}: at risk, {time} left (due {due})',
    'clock.title.red': '{clock}: breached {time} ago (due {due})', 'clock.title.met': '{clock}: met in time',
  },
});

const seconds = (iso) => Math.floor(Date.parse(iso) / 1000);

/**
 * Where a clock stands at `nowMs` (ms since 1970, the browser's clock by default).
 * remainingSeconds: until due (negative once overdue); for a stopped clock, what was left when
 * it stopped.
 */
export function clockState(clock, nowMs = Date.now()) {
  const started = seconds(clock.startedAt), due = seconds(clock.dueAt);
  if (clock.stoppedAt) {
    const stopped = seconds(clock.stoppedAt);
    return { state: stopped <= due ? 'met' : 'red', remainingSeconds: due - stopped, stopped: true };
  }
  const now = Math.floor(nowMs / 1000);
  // Integer arithmetic as on the server, so the browser turns amber the second the sweeper does.
  const risk = started + Math.trunc(((due - started) * WARNING_PERCENT) / 100);
  const state = now > due ? 'red' : now >= risk ? 'amber' : 'ok';
  return { state, remainingSeconds: due - now, stopped: false };
}

/** The clock a list shows for a booking: the running one due first, or none. */
export function runningClock(clocks) {
  return (clocks ?? []).filter(c => !c.stoppedAt).sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0] ?? null;
}

/** A clock as a badge that `tickClocks` keeps counting. */
export function renderClock(clock, { label = true } = {}) {
  const element = h('span', {
    class: 'clock', dataset: { clock: clock.clock, started: clock.startedAt, due: clock.dueAt, stopped: clock.stoppedAt ?? '' },
  });
  element.dataset.label = label ? '1' : '';
  update(element);
  return element;
}

function update(element, nowMs = Date.now()) {
  const { clock, started, due, stopped, label } = element.dataset;
  const { state, remainingSeconds } = clockState({ startedAt: started, dueAt: due, stoppedAt: stopped || null }, nowMs);
  const name = t(`clock.${clock}`);
  const time = formatDuration(Math.abs(remainingSeconds));
  const text = state === 'met' ? t('clock.met') : stopped ? t('clock.metLate') : state === 'red' ? t('clock.late', { time }) : time;
  element.textContent = label ? `${name} ${text}` : text;
  element.className = `clock ${state}`;
  element.dataset.state = state;
  element.title = t(`clock.title.${state}`, { clock: name, time, due: formatTime(due, { seconds: true }) });
}

/** Counts every clock under `root` down each second; returns the function that stops it. */
export function tickClocks(root) {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const element of root.querySelectorAll('span.clock[data-due]')) update(element, now);
  }, 1000);
  return () => clearInterval(timer);
}
