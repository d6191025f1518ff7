// The alert feed: SLA clocks at risk or breached, terminal alarms still to handle, drivers' card
// alerts, newest first in one list, each linking to its booking or vehicle; and the notices
// the stream carries. SLA and card alerts arrive on the live stream; terminal alarms are not
// published there, so the list is also read again every few seconds.
import { h, show, table } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { field, clearErrors, showError } from './fields.js';

register({
  zh: {
    'alerts.title': '告警', 'alerts.all': '全部', 'alerts.type.sla': '时限', 'alerts.type.alarm': '终端报警', 'alerts.type.card': '驾驶员卡',
    'alerts.filter': '类型', 'alerts.time': '时间', 'alerts.kind': '类别', 'alerts.subject': '对象', 'alerts.what': '内容', 'alerts.state': '状态', 'alerts.detail': '详情',
    'alerts.booking': '订单 {id}', 'alerts.complaint': '投诉 {id}', 'alerts.due': '时限 {time}',
    'alerts.state.atRisk': '即将超时', 'alerts.state.breached': '已超时', 'alerts.state.open': '未解除', 'alerts.state.cleared': '已解除待处理',
    'alerts.clock.confirm': '确认', 'alerts.clock.match': '派车', 'alerts.clock.notify': '通知', 'alerts.clock.onSite': '到场', 'alerts.clock.replacementStart': '换车出发',
    'alerts.clock.replacementArrival': '换车到达', 'alerts.clock.complaintContact': '投诉联系', 'alerts.clock.complaintResult': '投诉答复', 'alerts.clock.callback': '回访',
    'alerts.clock.invoice': '开票', 'alerts.clock.route': '偏离路线', 'alerts.clock.undeliverable': '通知未送达，请电话联系', 'alerts.clock.crewLost': '车组无法执行',
    'alerts.clock.lowCharge': '电量不足',
    'alerts.card.unknownCard': '未登记的从业资格证', 'alerts.card.expiredCard': '从业资格证已过期', 'alerts.card.notTheCrew': '插卡驾驶员非本单车组',
    'alerts.speed': '{speed} km/h', 'alerts.clearedAt': '{time} 解除', 'alerts.certificate': '证号 {number}', 'alerts.validUntil': '有效期至 {date}',
    'alerts.handle': '处理', 'alerts.note': '处理说明', 'alerts.submit': '记录处理', 'alerts.handled': '报警 {id} 已处理',
    'alerts.confirmation.sent': '已向终端确认', 'alerts.confirmation.queued': '终端离线，确认已排队（一天内送达）',
    'alerts.confirmation.notRequired': '此报警无需平台确认', 'alerts.confirmation.notSent': '确认未送达终端，请稍后在车辆页重发',
    'alerts.notices': '实时通知', 'alerts.noNotices': '本页打开后尚无通知', 'alerts.recipient': '接收人',
  },
  en: {
    'alerts.title': 'Alerts', 'alerts.all': 'All', 'alerts.type.sla': 'SLA', 'alerts.type.alarm': 'Terminal alarm', 'alerts.type.card': 'Driver card',
    'alerts.filter': 'Type', 'alerts.time': 'Time', 'alerts.kind': 'Type', 'alerts.subject': 'About', 'alerts.what': 'What', 'alerts.state': 'State', 'alerts.detail': 'Detail',
    'alerts.booking': 'Booking {id}', 'alerts.complaint': 'Complaint {id}', 'alerts.due': 'due {time}',
    'alerts.state.atRisk': 'At risk', 'alerts.state.breached': 'Breached', 'alerts.state.open': 'On', 'alerts.state.cleared': 'Off, to handle',
    'alerts.clock.confirm': 'Confirm', 'alerts.clock.match': 'Match', 'alerts.clock.notify': 'Notify', 'alerts.clock.onSite': 'On site', 'alerts.clock.replacementStart': 'Replacement start',
    'alerts.clock.replacementArrival': 'Replacement arrival', 'alerts.clock.complaintContact': 'Complaint contact', 'alerts.clock.complaintResult': 'Complaint result',
    'alerts.clock.callback': 'Callback', 'alerts.clock.invoice': 'Invoice', 'alerts.clock.route': 'Off route', 'alerts.clock.undeliverable': 'Notice undelivered: phone them',
    'alerts.clock.crewLost': 'Crew lost', 'alerts.clock.lowCharge': 'Charge too low',
    'alerts.card.unknownCard': 'Card no file holds', 'alerts.card.expiredCard': 'Certificate expired', 'alerts.card.notTheCrew': 'Not the booking\'s crew',
    'alerts.speed': '{speed} km/h', 'alerts.clearedAt': 'off at {time}', 'alerts.certificate': 'certificate {number}', 'alerts.validUntil': 'valid until {date}',
    'alerts.handle': 'Handle', 'alerts.note': 'What was done', 'alerts.submit': 'Record', 'alerts.handled': 'Alarm {id} handled',
    'alerts.confirmation.sent': 'confirmed to the terminal', 'alerts.confirmation.queued': 'terminal offline: the confirmation waits for it (a day)',
    'alerts.confirmation.notRequired': 'this alarm needs no confirmation', 'alerts.confirmation.notSent': 'the terminal did not take the confirmation: send it again from the vehicle\'s page',
    'alerts.notices': 'Live notices', 'alerts.noNotices': 'No notices since this page opened', 'alerts.recipient': 'Recipient',
  },
});

const POLL_MS = 10_000;

/** Each source as rows of one shape: { type, key, time, subject, what, state, detail, alarm? }. */
const sources = {
  sla: async (api, t) => (await api.get('/api/v1/alerts?limit=200')).map(alert => ({
    type: 'sla',
    key: `sla-${alert.bookingID ?? `c${alert.complaintID}`}-${alert.clock}-${alert.state}`,
    time: alert.raisedAt,
    booking: alert.bookingID,
    subject: alert.bookingID != null
      ? h('a', { href: `#/booking/${alert.bookingID}` }, t('alerts.booking', { id: alert.bookingID }))
      : h('a', { href: '#/complaints' }, t('alerts.complaint', { id: alert.complaintID })),
    what: t(`alerts.clock.${alert.clock}`),
    state: h('span', { class: `badge ${alert.state === 'breached' ? 'red' : 'amber'}` }, t(`alerts.state.${alert.state}`)),
    detail: t('alerts.due', { time: formatTime(alert.dueAt) }),
  })),
  alarm: async (api, t, language) => (await api.get('/api/v1/events?open=true&limit=200')).map(alarm => ({
    type: 'alarm',
    key: `alarm-${alarm.id}`,
    time: alarm.occurredAt,
    plate: alarm.plate,
    alarm,
    subject: vehicleLink(alarm.plate),
    what: language === 'zh' ? (alarm.kindName ?? alarm.kind) : alarm.kind,
    state: h('span', { class: `badge ${alarm.state === 'open' ? 'red' : 'amber'}` }, t(`alerts.state.${alarm.state}`)),
    detail: [t('alerts.speed', { speed: alarm.speedKmh }), alarm.clearedAt ? ` · ${t('alerts.clearedAt', { time: formatTime(alarm.clearedAt) })}` : ''].join(''),
  })),
  card: async (api, t) => (await api.get('/api/v1/driver-card-alerts?limit=200')).map(card => ({
    type: 'card',
    key: `card-${card.kind}-${card.plate ?? ''}-${card.signedInAt}`,
    time: card.raisedAt,
    plate: card.plate,
    booking: card.bookingID,
    subject: [vehicleLink(card.plate), card.bookingID != null ? [' · ', h('a', { href: `#/booking/${card.bookingID}` }, t('alerts.booking', { id: card.bookingID }))] : null],
    what: t(`alerts.card.${card.kind}`),
    state: null,
    detail: [card.driverName, card.certificate && t('alerts.certificate', { number: card.certificate }), card.validUntil && t('alerts.validUntil', { date: card.validUntil })]
      .filter(Boolean).join(' · '),
  })),
};

function vehicleLink(plate) {
  return plate ? h('a', { href: `#/vehicle/${encodeURIComponent(plate)}` }, plate) : '—';
}

export async function render(container, ctx) {
  const { api, live, user, t, toast, explain } = ctx;
  const operator = user.role === 'administrator' || user.role === 'dispatcher';
  let rows = [];
  let filter = '';
  const notices = [];

  const kind = h('select', { id: 'alerts-filter', onchange: () => { filter = kind.value; draw(); } },
    h('option', { value: '' }, t('alerts.all')),
    Object.keys(sources).map(type => h('option', { value: type }, t(`alerts.type.${type}`))));
  const list = h('div', { id: 'alert-list', class: 'desk-scroll' });
  const noticeList = h('div', { id: 'notice-list' });
  show(container,
    h('div', { class: 'row' }, h('h2', {}, t('alerts.title')), h('label', { class: 'inline' }, t('alerts.filter'), kind)),
    h('div', { class: 'split desk-split' },
      list,
      h('aside', { class: 'side' }, h('div', { class: 'card' }, h('h3', {}, t('alerts.notices')), noticeList))));

  function draw() {
    const shown = filter ? rows.filter(row => row.type === filter) : rows;
    show(list, table([
      [t('alerts.time'), row => formatTime(row.time, { seconds: true })],
      [t('alerts.kind'), row => h('span', { class: `badge desk-${row.type}` }, t(`alerts.type.${row.type}`))],
      [t('alerts.subject'), row => row.subject],
      [t('alerts.what'), row => row.what],
      [t('alerts.state'), row => row.state ?? '—'],
      [t('alerts.detail'), row => [row.detail, row.alarm && operator ? handleForm(row.alarm) : null]],
    ], shown, {
      empty: t('empty'),
      rowAttributes: row => ({ dataset: { alert: row.key, type: row.type, ...(row.booking != null ? { booking: row.booking } : {}), ...(row.plate ? { plate: row.plate } : {}) } }),
    }));
  }

  // A note, then the handling on record and what came of the confirmation to the terminal.
  function handleForm(alarm) {
    const note = h('input', { name: 'note', required: true, maxlength: 2000 });
    const form = h('form', { class: 'desk-inline', dataset: { handle: alarm.id }, onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const handled = await api.post(`/api/v1/events/${alarm.id}/handle`, { note: note.value });
        toast(`${t('alerts.handled', { id: alarm.id })}: ${t(`alerts.confirmation.${handled.confirmation}`)}`, handled.confirmation === 'notSent' ? 'error' : 'ok');
        await refresh();
      } catch (error) {
        showError(form, error, explain);
      }
    } }, field(t('alerts.note'), note), h('button', { type: 'submit' }, t('alerts.handle')), h('span', { class: 'form-error', role: 'alert' }));
    return h('details', {}, h('summary', {}, t('alerts.handle')), form);
  }

  function drawNotices() {
    show(noticeList, notices.length === 0 ? h('p', { class: 'loading' }, t('alerts.noNotices')) : notices.map(notice => h('div', { class: 'desk-notice', dataset: { notice: notice.noticeID } },
      h('div', {}, h('a', { href: `#/booking/${notice.bookingID}` }, t('alerts.booking', { id: notice.bookingID })), ' · ', `${t('alerts.recipient')}: ${notice.recipient}`),
      h('div', {}, notice.text))));
  }

  let loading = null;
  async function refresh() {
    // One read at a time: a burst of live alerts costs one more read, not one each.
    if (loading) return loading;
    loading = (async () => {
      try {
        const lists = await Promise.all(Object.values(sources).map(read => read(api, t, ctx.language)));
        rows = lists.flat().sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
        // A handling form being typed in is not thrown away by a refresh.
        if (!list.contains(document.activeElement) || document.activeElement.tagName !== 'INPUT') draw();
      } catch (error) {
        toast(explain(error), 'error');
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  drawNotices();
  await refresh();
  const timer = setInterval(refresh, POLL_MS);
  const stops = operator ? [
    live.on('alert', () => refresh()),
    live.on('notice', notice => { notices.unshift(notice); notices.splice(50); drawNotices(); }),
  ] : [];
  return () => { clearInterval(timer); for (const stop of stops) stop(); };
}
