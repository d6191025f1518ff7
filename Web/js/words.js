// The words every screen shares: a booking's states, once, so that the board, the agency's list,
// the driver's phone and the wall call each state the same; and amounts typed by people read as
// integers (fen) from their digits, never through a float.
import { h } from './dom.js';
import { register, t } from './i18n.js';

register({
  zh: {
    'state.awaitingApproval': '待审批', 'state.received': '待确认', 'state.confirmed': '已确认', 'state.matched': '已派车',
    'state.notified': '已通知', 'state.enRoute': '前往上车点', 'state.onSite': '已到场', 'state.inService': '服务中',
    'state.completed': '已完成', 'state.settled': '已结算', 'state.cancelled': '已取消', 'state.refused': '未获批准', 'state.replaced': '改派中',
  },
  en: {
    'state.awaitingApproval': 'Awaiting approval', 'state.received': 'Received', 'state.confirmed': 'Confirmed', 'state.matched': 'Matched',
    'state.notified': 'Notified', 'state.enRoute': 'En route', 'state.onSite': 'On site', 'state.inService': 'In service',
    'state.completed': 'Completed', 'state.settled': 'Settled', 'state.cancelled': 'Cancelled', 'state.refused': 'Not approved', 'state.replaced': 'Being replaced',
  },
});

/** A booking state's name. */
export function stateLabel(state) { return t(`state.${state}`); }

/** A state as a badge (`prefix` names another vocabulary, e.g. 'sheet'). */
export function stateBadge(state, prefix = 'state') {
  return h('span', { class: `badge ${prefix}-${state}`, dataset: { state } }, t(`${prefix}.${state}`));
}

/**
 * A decimal typed on a keyboard or a phone (full-width digits and points too) as an integer of
 * `places` decimals: '12.5' with 2 places is 1250; `signed` allows a leading minus. null when it
 * is not such a number (an empty field included).
 */
export function parseDecimal(text, places, { signed = false } = {}) {
  const plain = text.trim().replace(/[０-９]/g, d => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[．。,，]/g, '.').replace(/^－/, '-');
  const found = new RegExp(`^(${signed ? '-?' : ''})(\\d{1,9})(?:\\.(\\d{0,${places}}))?$`).exec(plain);
  if (!found) return null;
  const value = Number(found[2]) * 10 ** places + Number((found[3] ?? '').padEnd(places, '0') || 0);
  return found[1] ? -value : value;
}

/** Yuan as typed ("12.5", "-3.05") in integer fen; null if it is not money. */
export function fenFromYuan(text, { signed = false } = {}) { return parseDecimal(text, 2, { signed }); }
