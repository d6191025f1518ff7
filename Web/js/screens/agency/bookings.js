// The agency's own bookings, live: each change of state arrives on the stream (the server sends
// an agency only its own) and its booking is read again. The approver approves or refuses the
// requests awaiting approval; a finished trip is rated. One booking at a time is shown beside
// the list, on the map.
import { h, show, table } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { createMap } from '../../map.js';
import { streams } from './words.js';
import { stateBadge } from '../../words.js';

register({
  zh: {
    'bookings.title': '我的订单', 'bookings.filter': '显示', 'bookings.all': '全部', 'bookings.open': '进行中', 'bookings.finished': '已完成',
    'bookings.awaiting': '待审批', 'bookings.more': '加载更早的订单',
    'bookings.id': '编号', 'bookings.state': '状态', 'bookings.pickupTime': '用车时间', 'bookings.route': '行程', 'bookings.passengers': '人数',
    'bookings.crew': '车辆与驾驶员', 'bookings.urgent': '加急', 'bookings.vehicleDriver': '车辆 #{vehicle} · 驾驶员 #{driver}',
    'bookings.noCrew': '待派车', 'bookings.select': '在左侧选择一个订单查看', 'bookings.details': '订单详情与状态记录',
    'bookings.contact': '联系人', 'bookings.purpose': '事由', 'bookings.class': '车型', 'bookings.serviceEnd': '服务结束',
    'bookings.approve': '批准', 'bookings.refuse': '不批准', 'bookings.reason': '不批准的理由', 'bookings.approved': '订单 {id} 已批准，已提交调度中心',
    'bookings.refused': '订单 {id} 未获批准', 'bookings.reasonNeeded': '请写明不批准的理由',
    'bookings.rate': '评价本次行程', 'bookings.stars': '{stars} 星', 'bookings.comment': '意见（可选）', 'bookings.sendRating': '提交评价',
    'bookings.rated': '感谢评价：订单 {id}，{stars} 星', 'bookings.starsNeeded': '请选择 1 至 5 星',
    'bookings.ratingUnavailable': '服务器暂不支持在线评价：请致电调度中心反馈您的评价。',
    'bookings.notice': '通知', 'bookings.polling': '审批人的列表每 15 秒刷新一次',
  },
  en: {
    'bookings.title': 'My bookings', 'bookings.filter': 'Show', 'bookings.all': 'All', 'bookings.open': 'Open', 'bookings.finished': 'Finished',
    'bookings.awaiting': 'Awaiting approval', 'bookings.more': 'Load older bookings',
    'bookings.id': 'No.', 'bookings.state': 'State', 'bookings.pickupTime': 'Pick-up', 'bookings.route': 'Route', 'bookings.passengers': 'Pax',
    'bookings.crew': 'Car and driver', 'bookings.urgent': 'Urgent', 'bookings.vehicleDriver': 'Vehicle #{vehicle} · driver #{driver}',
    'bookings.noCrew': 'Not yet assigned', 'bookings.select': 'Choose a booking on the left', 'bookings.details': 'Details and history',
    'bookings.contact': 'Contact', 'bookings.purpose': 'Purpose', 'bookings.class': 'Class', 'bookings.serviceEnd': 'Service ends',
    'bookings.approve': 'Approve', 'bookings.refuse': 'Refuse', 'bookings.reason': 'Why it is refused', 'bookings.approved': 'Booking {id} approved and sent to the operator',
    'bookings.refused': 'Booking {id} refused', 'bookings.reasonNeeded': 'Say why the request is refused',
    'bookings.rate': 'Rate this trip', 'bookings.stars': '{stars} stars', 'bookings.comment': 'Comment (optional)', 'bookings.sendRating': 'Send rating',
    'bookings.rated': 'Thank you: booking {id} rated {stars} stars', 'bookings.starsNeeded': 'Choose 1 to 5 stars',
    'bookings.ratingUnavailable': 'The server does not take ratings yet: phone the dispatch centre with yours.',
    'bookings.notice': 'Notice', 'bookings.polling': 'An approver\'s list refreshes every 15 s',
  },
});

const filters = {
  all: null,
  open: ['awaitingApproval', 'received', 'confirmed', 'matched', 'notified', 'enRoute', 'onSite', 'inService', 'replaced'],
  finished: ['completed', 'settled'],
  awaiting: ['awaitingApproval'],
};
const rateable = ['completed', 'settled'];
const pollEvery = 15000;

export async function render(container, ctx) {
  const { t, api, user, live } = ctx;
  const bookings = new Map();
  // The stream's notices (plate, driver, phone, in the words sent to the contact), by booking.
  const notices = new Map();
  let filter = user.role === 'approver' ? 'awaiting' : 'all';
  let next = null;
  let selected = null;
  let newest = null;

  const filterSelect = h('select', { id: 'bookings-filter', onchange: () => { filter = filterSelect.value; load(); } },
    Object.keys(filters).map(name => h('option', { value: name, selected: name === filter }, t(`bookings.${name}`))));
  const list = h('div', { class: 'bookings-list', id: 'bookings-list' });
  const more = h('button', { type: 'button', id: 'bookings-more', hidden: true, onclick: () => load(next) }, t('bookings.more'));
  const detail = h('div', { class: 'booking-detail', id: 'booking-detail' }, h('p', { class: 'loading' }, t('bookings.select')));
  const mapElement = h('div', { class: 'map booking-map', id: 'bookings-map' });
  show(container,
    h('div', { class: 'row' }, h('h2', {}, t('bookings.title')), h('label', {}, t('bookings.filter'), filterSelect),
      user.role === 'approver' ? h('span', { class: 'hint' }, t('bookings.polling')) : null),
    h('div', { class: 'split agency-split' }, h('div', { class: 'side' }, list, more), h('div', { class: 'side' }, mapElement, detail)));

  const { map, toScreen } = createMap(mapElement, ctx, { zoom: 12 });
  const drawn = L.layerGroup().addTo(map);

  await load();
  const stops = [];
  if (streams(user)) {
    stops.push(live.on('booking', (event) => refresh(event.id)));
    stops.push(live.on('notice', (event) => {
      if (event.bookingID == null) return;
      notices.set(event.bookingID, event.text);
      if (bookings.has(event.bookingID)) draw();
    }));
  } else {
    const timer = setInterval(() => poll(), pollEvery);
    stops.push(() => clearInterval(timer));
  }

  async function load(before = null) {
    const states = filters[filter];
    const path = `/api/v1/bookings?limit=100${states ? `&state=${states.join(',')}` : ''}${before ? `&before=${before}` : ''}`;
    const page = await api.get(path);
    if (!before) bookings.clear();
    for (const record of page.items) keep(record);
    next = page.next ?? null;
    draw();
  }

  /** The approver's list, changed since the last look (no stream for that role). */
  async function poll() {
    try {
      const page = await api.get(`/api/v1/bookings?limit=500${newest ? `&updatedSince=${encodeURIComponent(newest)}` : ''}`);
      for (const record of page.items) if (shown(record)) keep(record); else bookings.delete(record.id);
      draw();
    } catch (error) {
      ctx.toast(ctx.explain(error), 'error');
    }
  }

  async function refresh(id) {
    try {
      const record = (await api.get(`/api/v1/bookings/${id}`)).booking;
      if (shown(record)) keep(record); else bookings.delete(id);
      draw();
    } catch (error) {
      if (error.status !== 404) ctx.toast(ctx.explain(error), 'error');
    }
  }

  function shown(record) { return !filters[filter] || filters[filter].includes(record.state); }

  function keep(record) {
    const before = bookings.get(record.id);
    bookings.set(record.id, record);
    if (!newest || record.updatedAt > newest) newest = record.updatedAt;
    if (selected === record.id && before?.version !== record.version) drawDetail();
  }

  function crew(record) {
    if (notices.has(record.id)) return notices.get(record.id);
    if (record.vehicleID == null) return h('span', { class: 'muted' }, t('bookings.noCrew'));
    return t('bookings.vehicleDriver', { vehicle: record.vehicleID, driver: record.driverID ?? '—' });
  }

  function draw() {
    const rows = [...bookings.values()].sort((a, b) => b.id - a.id);
    show(list, table([
      [t('bookings.id'), r => h('a', { href: `#/booking/${r.id}`, onclick: (e) => e.stopPropagation() }, String(r.id))],
      [t('bookings.state'), r => [stateBadge(r.state), r.urgent ? h('span', { class: 'badge amber' }, t('bookings.urgent')) : null]],
      [t('bookings.pickupTime'), r => formatTime(r.request.pickupTime)],
      [t('bookings.route'), r => h('span', { class: 'route' }, r.request.pickup.address, ' → ', r.request.destination.address)],
      [t('bookings.passengers'), r => String(r.request.passengers)],
      [t('bookings.crew'), crew],
    ], rows, {
      empty: t('empty'),
      rowAttributes: r => ({ class: `clickable${r.id === selected ? ' selected' : ''}`, dataset: { booking: r.id, state: r.state }, onclick: () => select(r.id) }),
    }));
    more.hidden = next === null;
    if (selected === null && rows.length) select(rows[0].id);
  }

  function select(id) {
    selected = id;
    for (const row of list.querySelectorAll('tr[data-booking]')) row.classList.toggle('selected', Number(row.dataset.booking) === id);
    drawDetail();
  }

  function drawDetail() {
    const record = bookings.get(selected);
    drawn.clearLayers();
    if (!record) return show(detail, h('p', { class: 'loading' }, t('bookings.select')));
    const { pickup, destination } = record.request;
    const a = toScreen(pickup.latitude, pickup.longitude), b = toScreen(destination.latitude, destination.longitude);
    L.polyline([a, b], { color: '#1f6feb', weight: 2, dashArray: '6 6', interactive: false }).addTo(drawn);
    L.circleMarker(a, { radius: 8, color: '#fff', weight: 2, fillColor: '#2f855a', fillOpacity: 1 }).bindTooltip(h('span', {}, pickup.address), { permanent: true, direction: 'top' }).addTo(drawn);
    L.circleMarker(b, { radius: 8, color: '#fff', weight: 2, fillColor: '#c53030', fillOpacity: 1 }).bindTooltip(h('span', {}, destination.address), { direction: 'top' }).addTo(drawn);
    // Not animated: a zoom still running when the screen is left would end on a removed map.
    map.fitBounds(L.latLngBounds([a, b]), { padding: [40, 40], maxZoom: 15, animate: false });
    const item = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
    show(detail,
      h('h3', {}, `${t('bookings.id')} ${record.id} `, stateBadge(record.state), ' ', h('a', { href: `#/booking/${record.id}`, id: 'booking-open' }, t('bookings.details'))),
      h('dl', { class: 'facts' },
        item(t('bookings.pickupTime'), formatTime(record.request.pickupTime)),
        item(t('bookings.serviceEnd'), formatTime(record.request.serviceEnd)),
        item(t('bookings.route'), `${pickup.address} → ${destination.address}`),
        item(t('bookings.class'), `${t(`class.${record.request.vehicleClass}`)} · ${record.request.passengers}`),
        item(t('bookings.contact'), `${record.request.contactName} ${record.request.contactPhone}`),
        record.request.routeNotes ? item(t('bookings.purpose'), record.request.routeNotes) : null,
        item(t('bookings.crew'), crew(record))),
      actions(record));
  }

  function actions(record) {
    if (user.role === 'approver' && record.state === 'awaitingApproval') return approval(record);
    if (user.role === 'agency' && rateable.includes(record.state)) return rating(record);
    return null;
  }

  function approval(record) {
    const reason = h('input', { id: 'refuse-reason', maxlength: 2000, placeholder: t('bookings.reason') });
    const message = h('p', { class: 'form-error', role: 'alert' });
    const act = async (path, body, done) => {
      message.textContent = '';
      try {
        keep((await api.post(`/api/v1/bookings/${record.id}/${path}`, body)).booking);
        ctx.toast(t(done, { id: record.id }), 'ok');
        if (!shown(bookings.get(record.id))) bookings.delete(record.id);
        draw();
        drawDetail();
      } catch (error) {
        message.textContent = ctx.explain(error);
      }
    };
    return h('div', { class: 'card actions', id: 'approval' },
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'approve', onclick: () => act('approve', {}, 'bookings.approved') }, t('bookings.approve')),
        reason,
        h('button', { type: 'button', class: 'danger', id: 'refuse', onclick: () => {
          if (!reason.value.trim()) { message.textContent = t('bookings.reasonNeeded'); reason.focus(); return; }
          act('refuse', { reason: reason.value.trim() }, 'bookings.refused');
        } }, t('bookings.refuse'))),
      message);
  }

  function rating(record) {
    const stars = [1, 2, 3, 4, 5].map(n => h('label', { class: 'star' },
      h('input', { type: 'radio', name: 'stars', value: n, dataset: { stars: n } }), '★'.repeat(n)));
    const comment = h('textarea', { id: 'rating-comment', rows: 2, maxlength: 2000, placeholder: t('bookings.comment') });
    const message = h('p', { class: 'form-error', role: 'alert', id: 'rating-error' });
    const form = h('form', { class: 'card actions', id: 'rating', onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      const chosen = Number(form.querySelector('input[name=stars]:checked')?.value ?? 0);
      if (!chosen) { message.textContent = t('bookings.starsNeeded'); return; }
      try {
        await api.put(`/api/v1/bookings/${record.id}/rating`, { stars: chosen, comment: comment.value.trim() });
        ctx.toast(t('bookings.rated', { id: record.id, stars: chosen }), 'ok');
        form.dataset.rated = String(chosen);
      } catch (error) {
        message.textContent = error.status === 404 || error.status === 405 ? t('bookings.ratingUnavailable') : ctx.explain(error);
      }
    } },
    h('h3', {}, t('bookings.rate')), h('div', { class: 'row stars', role: 'radiogroup' }, stars), comment, message,
    h('button', { type: 'submit', class: 'primary', id: 'rating-send' }, t('bookings.sendRating')));
    return form;
  }

  return () => { for (const stop of stops) stop(); map.remove(); };
}
