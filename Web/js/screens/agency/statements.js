// An agency's monthly statement: its summary here, the CSV for Excel and the printable page
// as plain links (the session's cookie authenticates them), the same bytes every time.
import { h, show, table, yuan } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { chinaMonth } from './words.js';

register({
  zh: {
    'statements.title': '对账单', 'statements.month': '月份', 'statements.agency': '用车单位', 'statements.show': '查看',
    'statements.csv': '下载 CSV（Excel）', 'statements.html': '打印版（新窗口）', 'statements.trips': '行程 {trips} 次',
    'statements.total': '合计', 'statements.invoiced': '已开票', 'statements.kind': '项目', 'statements.amount': '金额',
    'statements.sheet': '结算单', 'statements.booking': '订单', 'statements.pickupTime': '用车时间', 'statements.route': '行程',
    'statements.late': '本期对以前各期结算单的调整', 'statements.period': '{from} 至 {through}', 'statements.badMonth': '请选择月份',
  },
  en: {
    'statements.title': 'Statements', 'statements.month': 'Month', 'statements.agency': 'Agency', 'statements.show': 'Show',
    'statements.csv': 'Download CSV (Excel)', 'statements.html': 'Printable page (new window)', 'statements.trips': '{trips} trips',
    'statements.total': 'Total', 'statements.invoiced': 'Invoiced', 'statements.kind': 'Item', 'statements.amount': 'Amount',
    'statements.sheet': 'Sheet', 'statements.booking': 'Booking', 'statements.pickupTime': 'Pick-up', 'statements.route': 'Route',
    'statements.late': 'Corrections in this period to sheets of earlier ones', 'statements.period': '{from} to {through}', 'statements.badMonth': 'Choose a month',
  },
});

export async function render(container, ctx) {
  const { t, api, user } = ctx;
  // An agency's user sees its own agency; the operator's readers choose one.
  const agencies = user.agencyID != null ? null : await api.get('/api/v1/agencies');
  if (agencies && agencies.length === 0) return show(container, h('p', { class: 'notice' }, t('empty')));

  const month = h('input', { type: 'month', id: 'statement-month', value: chinaMonth(), required: true, max: chinaMonth() });
  const agency = agencies
    ? h('select', { id: 'statement-agency' }, agencies.map(a => h('option', { value: a.id }, a.name)))
    : null;
  const csv = h('a', { id: 'statement-csv', class: 'button', download: '' }, t('statements.csv'));
  const page = h('a', { id: 'statement-html', class: 'button', target: '_blank', rel: 'noopener' }, t('statements.html'));
  const summary = h('div', { id: 'statement-summary' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'row card', onsubmit: (event) => { event.preventDefault(); load(); } },
    h('label', {}, t('statements.month'), month),
    agency ? h('label', {}, t('statements.agency'), agency) : null,
    h('button', { type: 'submit', class: 'primary', id: 'statement-show' }, t('statements.show')), csv, page);
  show(container, h('h2', {}, t('statements.title')), form, message, summary);
  month.addEventListener('change', () => load());
  agency?.addEventListener('change', () => load());
  await load();

  async function load() {
    message.textContent = '';
    if (!/^\d{4}-\d{2}$/.test(month.value)) { message.textContent = t('statements.badMonth'); return; }
    const base = `/api/v1/agencies/${agency ? agency.value : user.agencyID}/statements?month=${month.value}`;
    csv.href = `${base}&format=csv`;
    page.href = `${base}&format=html`;
    try {
      draw(await api.get(base));
    } catch (error) {
      show(summary);
      message.textContent = ctx.explain(error);
    }
  }

  function draw(statement) {
    show(summary,
      h('div', { class: 'card statement-head' },
        h('h3', {}, statement.agency.name, ' · ', t('statements.period', { from: statement.from, through: statement.through })),
        h('p', {}, t('statements.trips', { trips: statement.trips }), ' · ', `${t('statements.total')} `,
          h('strong', { class: 'money', id: 'statement-total' }, yuan(statement.totalFen)), ' · ', `${t('statements.invoiced')} `, h('span', { class: 'money' }, yuan(statement.invoicedFen))),
        table([[t('statements.kind'), r => t(`line.${r.kind}`)], [t('statements.amount'), r => h('span', { class: 'money' }, yuan(r.amountFen))]], statement.totals, { empty: t('empty') })),
      table([
        [t('statements.sheet'), s => String(s.id)],
        [t('statements.booking'), s => h('a', { href: `#/booking/${s.facts.bookingID}` }, String(s.facts.bookingID))],
        [t('statements.pickupTime'), s => formatTime(s.facts.pickupTime)],
        [t('statements.route'), s => `${s.facts.pickupAddress} → ${s.facts.destinationAddress}`],
        [t('statements.total'), s => h('span', { class: 'money' }, yuan(s.totalFen))],
      ], statement.sheets, { empty: t('empty'), rowAttributes: s => ({ dataset: { sheet: s.id } }) }),
      statement.lateAdjustments.length ? [h('h3', {}, t('statements.late')), table([
        [t('statements.sheet'), a => String(a.sheetID)],
        [t('statements.kind'), a => `${t(`line.${a.line.kind}`)} · ${a.line.detail}`],
        [t('statements.amount'), a => h('span', { class: 'money' }, yuan(a.line.amountFen))],
      ], statement.lateAdjustments)] : null);
  }
}
