// Complaints: the agency files one (about one of its bookings, or in general) and follows it;
// the operator records when the agency was contacted (within 12 hours) and the result (within
// 3 working days), substantiated or not.
import { h, show, table } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { operates } from './words.js';

register({
  zh: {
    'complaints.title': '投诉', 'complaints.file': '提交投诉', 'complaints.booking': '相关订单', 'complaints.none': '不涉及具体订单',
    'complaints.text': '投诉内容', 'complaints.agency': '用车单位', 'complaints.filed': '投诉 {id} 已提交：12 小时内联系您，3 个工作日内答复结果',
    'complaints.id': '编号', 'complaints.received': '提交时间', 'complaints.state': '进度', 'complaints.result': '处理结果',
    'complaints.new': '待联系', 'complaints.contacted': '已联系', 'complaints.resolved': '已办结',
    'complaints.substantiated': '投诉属实', 'complaints.notSubstantiated': '投诉不属实',
    'complaints.contact': '已联系用车单位', 'complaints.contactDone': '已记录联系投诉 {id} 的单位',
    'complaints.resolve': '答复结果', 'complaints.resultText': '处理结果', 'complaints.holds': '投诉属实（计入驾驶员考核）',
    'complaints.resolvedDone': '投诉 {id} 已办结', 'complaints.needed': '请填写{what}',
    'complaints.forbidden': '您的角色不能查看投诉：请由本单位的用车账号提交和跟进。',
  },
  en: {
    'complaints.title': 'Complaints', 'complaints.file': 'File a complaint', 'complaints.booking': 'Booking', 'complaints.none': 'No booking in particular',
    'complaints.text': 'Complaint', 'complaints.agency': 'Agency', 'complaints.filed': 'Complaint {id} filed: you are contacted within 12 hours, answered within 3 working days',
    'complaints.id': 'No.', 'complaints.received': 'Filed', 'complaints.state': 'Progress', 'complaints.result': 'Result',
    'complaints.new': 'To contact', 'complaints.contacted': 'Contacted', 'complaints.resolved': 'Resolved',
    'complaints.substantiated': 'Substantiated', 'complaints.notSubstantiated': 'Not substantiated',
    'complaints.contact': 'Agency contacted', 'complaints.contactDone': 'Contact with complaint {id}\'s agency recorded',
    'complaints.resolve': 'Give the result', 'complaints.resultText': 'Result', 'complaints.holds': 'Substantiated (counts against the driver)',
    'complaints.resolvedDone': 'Complaint {id} resolved', 'complaints.needed': 'Fill in {what}',
    'complaints.forbidden': 'Your role does not see complaints: your agency\'s booking account files and follows them.',
  },
});

export async function render(container, ctx) {
  const { t, api, user } = ctx;
  if (user.role === 'approver') return show(container, h('h2', {}, t('complaints.title')), h('p', { class: 'notice' }, t('complaints.forbidden')));
  const operator = operates(user);
  const files = user.role === 'agency' || operator;
  const list = h('div', { id: 'complaints-list' });
  const side = h('div', { class: 'side' });
  show(container, h('h2', {}, t('complaints.title')), h('div', { class: 'split agency-split' }, list, side));
  if (files) side.append(await fileForm());
  await load();

  async function fileForm() {
    // An agency files about its own recent bookings; the operator names the agency.
    const [agencies, recent] = await Promise.all([
      operator ? api.get('/api/v1/agencies') : null,
      user.role === 'agency' ? api.get('/api/v1/bookings?limit=50') : null,
    ]);
    const agency = agencies && h('select', { id: 'complaint-agency' }, agencies.map(a => h('option', { value: a.id }, a.name)));
    const booking = recent
      ? h('select', { id: 'complaint-booking' }, h('option', { value: '' }, t('complaints.none')),
        recent.items.map(b => h('option', { value: b.id }, `${b.id} · ${formatTime(b.request.pickupTime)} · ${b.request.pickup.address} → ${b.request.destination.address}`)))
      : h('input', { id: 'complaint-booking', inputmode: 'numeric', pattern: '[0-9]*' });
    const text = h('textarea', { id: 'complaint-text', rows: 5, maxlength: 4000, required: true });
    const message = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'card', id: 'complaint-form', onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      if (!text.value.trim()) { message.textContent = t('complaints.needed', { what: t('complaints.text') }); return; }
      const body = { text: text.value.trim() };
      if (booking.value) body.bookingID = Number(booking.value);
      if (agency) body.agencyID = Number(agency.value);
      try {
        const made = await api.post('/api/v1/complaints', body);
        ctx.toast(t('complaints.filed', { id: made.id }), 'ok');
        text.value = '';
        await load();
      } catch (error) {
        message.textContent = ctx.explain(error);
      }
    } },
    h('h3', {}, t('complaints.file')),
    agency ? h('label', {}, t('complaints.agency'), agency) : null,
    h('label', {}, t('complaints.booking'), booking),
    h('label', {}, t('complaints.text'), text),
    message,
    h('button', { type: 'submit', class: 'primary', id: 'complaint-submit' }, t('complaints.file')));
    return form;
  }

  async function load() {
    const complaints = await api.get('/api/v1/complaints');
    const progress = c => c.resolvedAt ? 'resolved' : c.contactedAt ? 'contacted' : 'new';
    show(list, table([
      [t('complaints.id'), c => String(c.id)],
      [t('complaints.booking'), c => c.bookingID != null ? h('a', { href: `#/booking/${c.bookingID}` }, String(c.bookingID)) : '—'],
      [t('complaints.received'), c => formatTime(c.receivedAt)],
      [t('complaints.text'), c => h('div', { class: 'complaint-text' }, c.text)],
      [t('complaints.state'), c => [h('span', { class: `badge complaint-${progress(c)}` }, t(`complaints.${progress(c)}`)),
        c.contactedAt ? h('div', { class: 'muted' }, `${t('complaints.contacted')} ${formatTime(c.contactedAt)}`) : null,
        c.resolvedAt ? h('div', { class: 'muted' }, `${t('complaints.resolved')} ${formatTime(c.resolvedAt)}`) : null]],
      [t('complaints.result'), c => c.resolvedAt
        ? [c.result, h('div', { class: 'muted' }, t(c.substantiated ? 'complaints.substantiated' : 'complaints.notSubstantiated'))]
        : operator ? handling(c) : '—'],
    ], complaints, { empty: t('empty'), rowAttributes: c => ({ dataset: { complaint: c.id, progress: progress(c) } }) }));
  }

  /** The operator's steps on an open complaint: contacted, then resolved with the result. */
  function handling(complaint) {
    const message = h('p', { class: 'form-error', role: 'alert' });
    const act = async (path, body, done) => {
      try {
        await api.post(`/api/v1/complaints/${complaint.id}/${path}`, body);
        ctx.toast(t(done, { id: complaint.id }), 'ok');
        await load();
      } catch (error) {
        message.textContent = ctx.explain(error);
      }
    };
    const result = h('textarea', { rows: 2, maxlength: 2000, class: 'complaint-result' });
    const holds = h('input', { type: 'checkbox', class: 'complaint-holds' });
    return h('div', { class: 'complaint-handling' },
      complaint.contactedAt ? null : h('button', { type: 'button', class: 'complaint-contact', onclick: () => act('contact', {}, 'complaints.contactDone') }, t('complaints.contact')),
      h('label', {}, t('complaints.resultText'), result),
      h('label', { class: 'inline' }, holds, t('complaints.holds')),
      h('button', { type: 'button', class: 'primary complaint-resolve', onclick: () => {
        if (!result.value.trim()) { message.textContent = t('complaints.needed', { what: t('complaints.resultText') }); return; }
        act('resolve', { result: result.value.trim(), substantiated: holds.checked }, 'complaints.resolvedDone');
      } }, t('complaints.resolve')),
      message);
  }
}
