// Settlement sheets: the list, and beside it one sheet with every line and its evidence. The
// agency signs it or disputes it with a reason; the operator resolves a dispute or a flagged
// difference and corrects a sheet by adjusting lines (its own lines never change).
import { h, show, table, yuan } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { streams, operates, lineKinds } from './words.js';
import { stateBadge, fenFromYuan } from '../../words.js';

register({
  zh: {
    'sheets.title': '结算单', 'sheets.filter': '显示', 'sheets.all': '全部', 'sheets.id': '单号', 'sheets.booking': '订单', 'sheets.pickupTime': '用车时间',
    'sheets.route': '行程', 'sheets.plates': '车牌', 'sheets.state': '状态', 'sheets.total': '合计', 'sheets.select': '在左侧选择一张结算单',
    'sheets.kind': '项目', 'sheets.detail': '说明', 'sheets.evidence': '依据', 'sheets.amount': '金额', 'sheets.adjusting': '调整',
    'sheets.drivers': '驾驶员', 'sheets.window': '服务时段', 'sheets.distance': '里程', 'sheets.km': '{km} 公里（{source}）',
    'sheets.reported': '驾驶员填报', 'sheets.flag': '填报与系统记录不符：{field} 系统 {system}，填报 {reported}',
    'sheets.history': '记录', 'sheets.invoiceDue': '发票应开日期', 'sheets.invoice': '发票', 'sheets.receipts': '票据',
    'sheets.signedBy': '签认人姓名', 'sheets.sign': '签认', 'sheets.signed': '结算单 {id} 已签认',
    'sheets.disputeReason': '异议理由', 'sheets.dispute': '提出异议', 'sheets.disputed': '已对结算单 {id} 提出异议，调度中心将处理',
    'sheets.resolveNote': '处理说明', 'sheets.resolve': '处理完毕，退回用车单位签认', 'sheets.resolved': '结算单 {id} 已处理',
    'sheets.addLine': '增加调整行', 'sheets.lineKind': '调整的项目', 'sheets.lineDetail': '调整说明', 'sheets.lineAmount': '金额（元，减少写负数）',
    'sheets.lineReason': '调整理由', 'sheets.adjusted': '结算单 {id} 已增加调整行', 'sheets.withAdjustment': '同时增加一行调整',
    'sheets.needed': '请填写{what}',
    'sheetEvent.issued': '出具', 'sheetEvent.flagged': '填报不符待核对', 'sheetEvent.void': '作废', 'sheetEvent.disputed': '提出异议',
    'sheetEvent.resolved': '已处理', 'sheetEvent.confirmed': '签认', 'sheetEvent.adjusted': '调整', 'sheetEvent.invoiced': '开票',
  },
  en: {
    'sheets.title': 'Settlement sheets', 'sheets.filter': 'Show', 'sheets.all': 'All', 'sheets.id': 'Sheet', 'sheets.booking': 'Booking', 'sheets.pickupTime': 'Pick-up',
    'sheets.route': 'Route', 'sheets.plates': 'Plates', 'sheets.state': 'State', 'sheets.total': 'Total', 'sheets.select': 'Choose a sheet on the left',
    'sheets.kind': 'Item', 'sheets.detail': 'Detail', 'sheets.evidence': 'Evidence', 'sheets.amount': 'Amount', 'sheets.adjusting': 'Adjustment',
    'sheets.drivers': 'Drivers', 'sheets.window': 'Service', 'sheets.distance': 'Distance', 'sheets.km': '{km} km ({source})',
    'sheets.reported': 'Driver reported', 'sheets.flag': 'The driver\'s figure differs: {field} system {system}, reported {reported}',
    'sheets.history': 'History', 'sheets.invoiceDue': 'Invoice due', 'sheets.invoice': 'Invoice', 'sheets.receipts': 'Receipts',
    'sheets.signedBy': 'Signed by (name)', 'sheets.sign': 'Sign', 'sheets.signed': 'Sheet {id} signed',
    'sheets.disputeReason': 'Reason for the dispute', 'sheets.dispute': 'Dispute', 'sheets.disputed': 'Sheet {id} disputed: the operator will resolve it',
    'sheets.resolveNote': 'Resolution', 'sheets.resolve': 'Resolved: back to the agency to sign', 'sheets.resolved': 'Sheet {id} resolved',
    'sheets.addLine': 'Add an adjusting line', 'sheets.lineKind': 'Item corrected', 'sheets.lineDetail': 'Detail', 'sheets.lineAmount': 'Amount (yuan, negative to reduce)',
    'sheets.lineReason': 'Reason', 'sheets.adjusted': 'Sheet {id} adjusted', 'sheets.withAdjustment': 'With an adjusting line',
    'sheets.needed': 'Fill in {what}',
    'sheetEvent.issued': 'Issued', 'sheetEvent.flagged': 'Flagged for review', 'sheetEvent.void': 'Void', 'sheetEvent.disputed': 'Disputed',
    'sheetEvent.resolved': 'Resolved', 'sheetEvent.confirmed': 'Signed', 'sheetEvent.adjusted': 'Adjusted', 'sheetEvent.invoiced': 'Invoiced',
  },
});

const stateFilters = ['all', 'issued', 'disputed', 'review', 'confirmed', 'void'];

/** Integer metres as kilometres with one decimal, from the digits. */
function km(metres) { return `${Math.trunc(metres / 1000)}.${Math.trunc((metres % 1000) / 100)}`; }

export async function render(container, ctx) {
  const { t, api, user, live } = ctx;
  let filter = 'all';
  let selected = null;
  let sheets = [];

  const filterSelect = h('select', { id: 'sheets-filter', onchange: () => { filter = filterSelect.value; load(); } },
    stateFilters.map(name => h('option', { value: name }, name === 'all' ? t('sheets.all') : t(`sheet.${name}`))));
  const list = h('div', { id: 'sheets-list' });
  const detail = h('div', { id: 'sheet-detail', class: 'sheet-detail' }, h('p', { class: 'loading' }, t('sheets.select')));
  show(container,
    h('div', { class: 'row' }, h('h2', {}, t('sheets.title')), h('label', {}, t('sheets.filter'), filterSelect)),
    h('div', { class: 'split agency-split' }, h('div', { class: 'side' }, list), h('div', { class: 'side' }, detail)));

  const stop = streams(user) ? live.on('settlement', (event) => { load(); if (event.sheetID === selected) open(selected); }) : null;
  await load();

  async function load() {
    sheets = await api.get(`/api/v1/settlements?limit=200${filter === 'all' ? '' : `&state=${filter}`}`);
    show(list, table([
      [t('sheets.id'), s => String(s.id)],
      [t('sheets.booking'), s => h('a', { href: `#/booking/${s.facts.bookingID}`, onclick: (e) => e.stopPropagation() }, String(s.facts.bookingID))],
      [t('sheets.pickupTime'), s => formatTime(s.facts.pickupTime)],
      [t('sheets.route'), s => `${s.facts.pickupAddress} → ${s.facts.destinationAddress}`],
      [t('sheets.plates'), s => s.facts.plates.join(', ')],
      [t('sheets.state'), s => stateBadge(s.state, 'sheet')],
      [t('sheets.total'), s => h('span', { class: 'money' }, yuan(s.totalFen))],
    ], sheets, {
      empty: t('empty'),
      rowAttributes: s => ({ class: `clickable${s.id === selected ? ' selected' : ''}`, dataset: { sheet: s.id, state: s.state }, onclick: () => open(s.id) }),
    }));
  }

  async function open(id) {
    selected = id;
    for (const row of list.querySelectorAll('tr[data-sheet]')) row.classList.toggle('selected', Number(row.dataset.sheet) === id);
    try {
      draw(await api.get(`/api/v1/settlements/${id}`));
    } catch (error) {
      show(detail, h('p', { class: 'notice error' }, ctx.explain(error)));
    }
  }

  /** After a change: the sheet as the server now has it, in the list and beside it. */
  async function changed(sheet, message) {
    ctx.toast(t(message, { id: sheet.id }), 'ok');
    draw(sheet);
    await load();
  }

  function draw(sheet) {
    const f = sheet.facts;
    const item = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
    show(detail,
      h('h3', {}, `${t('sheets.id')} ${sheet.id} `, stateBadge(sheet.state, 'sheet')),
      h('dl', { class: 'facts', dataset: { sheet: sheet.id, state: sheet.state } },
        item(t('sheets.booking'), h('a', { href: `#/booking/${f.bookingID}` }, String(f.bookingID))),
        item(t('sheets.route'), `${f.pickupAddress} → ${f.destinationAddress}`),
        item(t('sheets.plates'), `${t(`class.${f.vehicleClass}`)} ${f.plates.join(', ')}`),
        item(t('sheets.drivers'), f.drivers.join(', ')),
        item(t('sheets.window'), f.window.segments.map(s => h('div', {}, `${formatTime(s.start)} – ${formatTime(s.end)}`))),
        item(t('sheets.distance'), t('sheets.km', { km: km(f.metres), source: f.distanceSource })),
        f.receipts.length ? item(t('sheets.receipts'), f.receipts.join(', ')) : null,
        sheet.invoiceDue ? item(t('sheets.invoiceDue'), sheet.invoiceDue) : null,
        sheet.invoice ? item(t('sheets.invoice'), `${sheet.invoice.number} · ${formatTime(sheet.invoice.issuedAt)}`) : null),
      sheet.flags.map(flag => h('p', { class: 'notice flag' }, t('sheets.flag', { field: flag.field, system: flag.system, reported: flag.reported }))),
      table([
        [t('sheets.kind'), l => [t(`line.${l.kind}`), l.adjusting ? h('span', { class: 'badge' }, t('sheets.adjusting')) : null]],
        [t('sheets.detail'), l => [l.detail, l.reason ? h('div', { class: 'muted' }, `${l.reason} · ${l.by} · ${formatTime(l.addedAt)}`) : null]],
        [t('sheets.evidence'), l => h('span', { class: 'muted' }, l.evidence)],
        [t('sheets.amount'), l => h('span', { class: 'money' }, yuan(l.amountFen))],
      ], sheet.lines, { rowAttributes: l => ({ dataset: { kind: l.kind } }) }),
      h('p', { class: 'sheet-total' }, `${t('sheets.total')} `, h('strong', { class: 'money', id: 'sheet-total' }, yuan(sheet.totalFen))),
      actions(sheet),
      h('h3', {}, t('sheets.history')),
      h('ul', { class: 'history' }, sheet.history.map(e => h('li', {}, `${formatTime(e.at)} · ${t(`sheetEvent.${e.kind}`)} · ${e.by}${e.note ? ` · ${e.note}` : ''}`))));
  }

  function actions(sheet) {
    if (user.role === 'agency' && sheet.state === 'issued') return agencyActions(sheet);
    if (!operates(user)) return null;
    if (['disputed', 'review'].includes(sheet.state)) return resolveForm(sheet);
    if (['issued', 'confirmed'].includes(sheet.state)) return adjustForm(sheet);
    return null;
  }

  /** A form whose submission posts what `body()` builds; a refusal is shown in it. */
  function form(id, children, path, body, done) {
    const message = h('p', { class: 'form-error', role: 'alert' });
    const element = h('form', { class: 'card actions', id, onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      let payload;
      try { payload = body(); } catch (problem) { message.textContent = problem.message; return; }
      try {
        await changed(await api.post(path, payload), done);
      } catch (error) {
        message.textContent = ctx.explain(error);
      }
    } }, children, message);
    return element;
  }

  const required = (input, what) => {
    const value = input.value.trim();
    if (!value) { input.focus(); throw new Error(t('sheets.needed', { what })); }
    return value;
  };

  function agencyActions(sheet) {
    const signedBy = h('input', { id: 'sheet-signed-by', maxlength: 100, autocomplete: 'name' });
    const reason = h('textarea', { id: 'sheet-dispute-reason', rows: 2, maxlength: 2000 });
    return h('div', { class: 'sheet-actions' },
      form('sheet-sign-form', [h('label', {}, t('sheets.signedBy'), signedBy), h('button', { type: 'submit', class: 'primary', id: 'sheet-sign' }, t('sheets.sign'))],
        `/api/v1/settlements/${sheet.id}/confirm`, () => ({ signedBy: required(signedBy, t('sheets.signedBy')) }), 'sheets.signed'),
      form('sheet-dispute-form', [h('label', {}, t('sheets.disputeReason'), reason), h('button', { type: 'submit', class: 'danger', id: 'sheet-dispute' }, t('sheets.dispute'))],
        `/api/v1/settlements/${sheet.id}/dispute`, () => ({ reason: required(reason, t('sheets.disputeReason')) }), 'sheets.disputed'));
  }

  /** The fields of one adjusting line, and the line they make (amount read as integer fen). */
  function adjustment() {
    const kind = h('select', { name: 'kind' }, lineKinds.map(k => h('option', { value: k, selected: k === 'adjustment' }, t(`line.${k}`))));
    const detailInput = h('input', { name: 'detail', maxlength: 500 });
    const amount = h('input', { name: 'amount', inputmode: 'decimal', placeholder: '-20.00' });
    const reason = h('input', { name: 'reason', maxlength: 2000 });
    return {
      fields: h('div', { class: 'row' }, h('label', {}, t('sheets.lineKind'), kind), h('label', {}, t('sheets.lineDetail'), detailInput),
        h('label', {}, t('sheets.lineAmount'), amount), h('label', {}, t('sheets.lineReason'), reason)),
      filled: () => [detailInput, amount, reason].some(input => input.value.trim()),
      line: () => {
        const fen = fenFromYuan(amount.value, { signed: true });
        if (fen === null || fen === 0) { amount.focus(); throw new Error(t('agency.amountInvalid')); }
        return { kind: kind.value, detail: required(detailInput, t('sheets.lineDetail')), amountFen: fen, reason: required(reason, t('sheets.lineReason')) };
      },
    };
  }

  function resolveForm(sheet) {
    const note = h('textarea', { id: 'sheet-resolve-note', rows: 2, maxlength: 2000 });
    const line = adjustment();
    return form('sheet-resolve-form',
      [h('label', {}, t('sheets.resolveNote'), note), h('p', { class: 'hint' }, t('sheets.withAdjustment')), line.fields,
        h('button', { type: 'submit', class: 'primary', id: 'sheet-resolve' }, t('sheets.resolve'))],
      `/api/v1/settlements/${sheet.id}/resolve`,
      () => ({ note: required(note, t('sheets.resolveNote')), adjustments: line.filled() ? [line.line()] : [] }), 'sheets.resolved');
  }

  function adjustForm(sheet) {
    const line = adjustment();
    return form('sheet-adjust-form', [h('h3', {}, t('sheets.addLine')), line.fields, h('button', { type: 'submit', id: 'sheet-adjust' }, t('sheets.addLine'))],
      `/api/v1/settlements/${sheet.id}/adjustments`, () => line.line(), 'sheets.adjusted');
  }

  return () => stop?.();
}
