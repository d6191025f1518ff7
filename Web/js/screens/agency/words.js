// What the agency's screens share: the names of booking and sheet states and of fare lines,
// China-time form values, and money typed in yuan read as integer fen.
import { h } from '../../dom.js';
import { register, t } from '../../i18n.js';

register({
  zh: {
    'state.awaitingApproval': '待审批', 'state.received': '已受理', 'state.confirmed': '已确认', 'state.matched': '已派车',
    'state.notified': '已通知', 'state.enRoute': '前往上车点', 'state.onSite': '已到达', 'state.inService': '服务中',
    'state.completed': '已完成', 'state.settled': '已结算', 'state.cancelled': '已取消', 'state.refused': '未获批准', 'state.replaced': '换车中',
    'sheet.review': '待核对', 'sheet.issued': '待签认', 'sheet.disputed': '有异议', 'sheet.confirmed': '已签认', 'sheet.void': '作废',
    'line.package': '套餐', 'line.discount': '折扣', 'line.overtime': '超时费', 'line.overDistance': '超里程费', 'line.tolls': '过路费',
    'line.parking': '停车费', 'line.meals': '驾驶员餐费', 'line.lodging': '驾驶员住宿费', 'line.cancellation': '取消费', 'line.adjustment': '调整',
    'class.sedan': '轿车', 'class.suv': 'SUV', 'class.van': '商务车',
    'agency.noAgency': '此账号未关联用车单位：请管理员为账号指定单位',
    'agency.amountInvalid': '金额请写成元，最多两位小数，例如 12.50',
  },
  en: {
    'state.awaitingApproval': 'Awaiting approval', 'state.received': 'Received', 'state.confirmed': 'Confirmed', 'state.matched': 'Car assigned',
    'state.notified': 'Notified', 'state.enRoute': 'On the way', 'state.onSite': 'On site', 'state.inService': 'In service',
    'state.completed': 'Completed', 'state.settled': 'Settled', 'state.cancelled': 'Cancelled', 'state.refused': 'Not approved', 'state.replaced': 'Replacing car',
    'sheet.review': 'Under review', 'sheet.issued': 'To sign', 'sheet.disputed': 'Disputed', 'sheet.confirmed': 'Signed', 'sheet.void': 'Void',
    'line.package': 'Package', 'line.discount': 'Discount', 'line.overtime': 'Overtime', 'line.overDistance': 'Over distance', 'line.tolls': 'Tolls',
    'line.parking': 'Parking', 'line.meals': "Driver's meals", 'line.lodging': "Driver's lodging", 'line.cancellation': 'Cancellation', 'line.adjustment': 'Adjustment',
    'class.sedan': 'Sedan', 'class.suv': 'SUV', 'class.van': 'Van',
    'agency.noAgency': 'This account belongs to no agency: ask an administrator to set one',
    'agency.amountInvalid': 'Write the amount in yuan with at most two decimals, e.g. 12.50',
  },
});

export const lineKinds = ['package', 'discount', 'overtime', 'overDistance', 'tolls', 'parking', 'meals', 'lodging', 'cancellation', 'adjustment'];

/** The live stream is open to these roles only (GET /api/v1/stream); others poll. */
export function streams(user) { return ['administrator', 'dispatcher', 'agency'].includes(user.role); }

/** Whether the user works for the operator and may change sheets and complaints. */
export function operates(user) { return ['administrator', 'dispatcher'].includes(user.role); }

/** A booking's (or with prefix 'sheet', a sheet's) state as a badge, the state in data-state. */
export function stateBadge(state, prefix = 'state') {
  return h('span', { class: `badge ${prefix}-${state}`, dataset: { state } }, t(`${prefix}.${state}`));
}

const china = 8 * 3600 * 1000;

/** A time as a datetime-local value in China time (YYYY-MM-DDTHH:MM), whatever the browser's zone. */
export function chinaInputValue(date) {
  return new Date(date.getTime() + china).toISOString().slice(0, 16);
}

/** A datetime-local value read as China time; null if empty or malformed. */
export function fromChinaInput(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const date = new Date(`${value}:00+08:00`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** This month in China time, as YYYY-MM. */
export function chinaMonth(date = new Date()) { return chinaInputValue(date).slice(0, 7); }

/** "12.5" or "-3.05" yuan as integer fen, from the digits (never through a float); null if not money. */
export function fenFromYuan(text) {
  const match = /^\s*(-?)(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  const fen = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -fen : fen;
}
