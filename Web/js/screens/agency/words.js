// What the agency's screens share: the names of sheet states and of fare lines, and China-time
// form values.
import { register } from '../../i18n.js';

register({
  zh: {
    'sheet.review': '待核对', 'sheet.issued': '待签认', 'sheet.disputed': '有异议', 'sheet.confirmed': '已签认', 'sheet.void': '作废',
    'line.package': '套餐', 'line.discount': '折扣', 'line.overtime': '超时费', 'line.overDistance': '超里程费', 'line.tolls': '过路费',
    'line.parking': '停车费', 'line.meals': '驾驶员餐费', 'line.lodging': '驾驶员住宿费', 'line.cancellation': '取消费', 'line.adjustment': '调整',
    'class.sedan': '轿车', 'class.suv': 'SUV', 'class.van': '商务车',
    'agency.noAgency': '此账号未关联用车单位：请管理员为账号指定单位',
    'agency.amountInvalid': '金额请写成元，最多两位小数，例如 12.50',
  },
  en: {
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

