// Book a car: pick-up and destination clicked on the map (kept as WGS-84 whatever the tiles'
// system: `pick` converts), with their address as people say it; time, passengers, purpose and
// contact. A refusal of the server is shown at the field it names.
import { h, show } from '../../dom.js';
import { register } from '../../i18n.js';
import { createMap } from '../../map.js';
import { chinaInputValue, fromChinaInput } from './words.js';

register({
  zh: {
    'book.title': '预约用车', 'book.hint': '先选“上车点”或“目的地”，再在地图上点击该位置；地址可以修改。',
    'book.pickup': '上车点', 'book.destination': '目的地', 'book.address': '地址', 'book.notPicked': '尚未在地图上选点',
    'book.pickOnMap': '请在地图上点击选择{place}的位置', 'book.pointAddress': '地图选点 {latitude}, {longitude}',
    'book.pickupTime': '用车时间（北京时间）', 'book.serviceEnd': '服务结束时间', 'book.passengers': '乘车人数', 'book.vehicleClass': '车型',
    'book.transfer': '市内接送（按趟计价）', 'book.purpose': '用车事由与路线说明', 'book.specialNeeds': '特殊需求',
    'book.contactName': '联系人', 'book.contactPhone': '联系电话', 'book.contactEmail': '联系邮箱（可选，用于邮件通知）',
    'book.submit': '提交预约', 'book.urgent': '加急：1 小时内用车，优先派车', 'book.booked': '订单 {id} 已提交',
    'book.endBeforePickup': '服务结束时间须晚于用车时间', 'book.badTime': '请填写完整的日期和时间',
    'book.approverCannotBook': '审批人不能下单：请在“我的订单”中审批本单位的用车申请。', 'book.failed': '未能提交：{reason}',
  },
  en: {
    'book.title': 'Book a car', 'book.hint': 'Choose “Pick-up” or “Destination”, then click its place on the map; the address can be edited.',
    'book.pickup': 'Pick-up', 'book.destination': 'Destination', 'book.address': 'Address', 'book.notPicked': 'Not picked on the map yet',
    'book.pickOnMap': 'Click the {place} on the map', 'book.pointAddress': 'Point on the map {latitude}, {longitude}',
    'book.pickupTime': 'Pick-up time (China time)', 'book.serviceEnd': 'End of service', 'book.passengers': 'Passengers', 'book.vehicleClass': 'Vehicle class',
    'book.transfer': 'City transfer (priced per trip)', 'book.purpose': 'Purpose and route notes', 'book.specialNeeds': 'Special needs',
    'book.contactName': 'Contact', 'book.contactPhone': 'Contact phone', 'book.contactEmail': 'Contact e-mail (optional, for notices by e-mail)',
    'book.submit': 'Book', 'book.urgent': 'Urgent: pick-up within the hour, matched first', 'book.booked': 'Booking {id} made',
    'book.endBeforePickup': 'The service must end after the pick-up', 'book.badTime': 'Enter the whole date and time',
    'book.approverCannotBook': 'Approvers do not book: approve your agency\'s requests in My bookings.', 'book.failed': 'Not booked: {reason}',
  },
});

const places = ['pickup', 'destination'];
const colours = { pickup: '#2f855a', destination: '#c53030' };
// A booking within this many milliseconds of its receipt is urgent (docs/DOMAIN.md, step 1).
const urgentWithin = 3600 * 1000;
// Half a day's package by default: the agency lengthens it for a longer service.
const defaultService = 4 * 3600 * 1000;

export async function render(container, ctx) {
  const { t, api, user } = ctx;
  if (user.role !== 'agency') {
    show(container, h('h2', {}, t('book.title')), h('p', { class: 'notice' }, t('book.approverCannotBook'), ' ', h('a', { href: '#/bookings' }, t('menu.bookings'))));
    return null;
  }

  const points = { pickup: null, destination: null };
  let active = 'pickup';
  let endEdited = false;

  const field = (name, control, label) => h('label', { dataset: { field: name } }, label, control);
  const input = (name, attributes = {}) => h('input', { name, id: `book-${name}`, ...attributes });

  const placeBlocks = {};
  const chooser = {};
  for (const place of places) {
    const coordinates = h('output', { id: `${place}-coordinates`, class: 'coordinates' }, t('book.notPicked'));
    const address = input(`${place}.address`, { maxlength: 200, required: true, oninput: () => clear(`${place}.address`) });
    chooser[place] = h('button', { type: 'button', id: `choose-${place}`, class: 'point-choice', onclick: () => choose(place) }, t(`book.${place}`));
    placeBlocks[place] = { coordinates, address,
      element: h('fieldset', { class: `place place-${place}`, dataset: { field: place } },
        h('legend', {}, t(`book.${place}`)), coordinates, field(`${place}.address`, address, t('book.address'))) };
  }

  const start = new Date(Math.ceil((Date.now() + urgentWithin) / 300000) * 300000);
  const pickupTime = input('pickupTime', { type: 'datetime-local', required: true, value: chinaInputValue(start), oninput: timeChanged });
  const serviceEnd = input('serviceEnd', { type: 'datetime-local', required: true, value: chinaInputValue(new Date(start.getTime() + defaultService)),
    oninput: () => { endEdited = true; clear('serviceEnd'); } });
  const urgent = h('span', { id: 'book-urgent', class: 'badge amber' }, t('book.urgent'));
  const passengers = input('passengers', { type: 'number', min: 1, max: 8, value: 1, required: true });
  const vehicleClass = h('select', { name: 'vehicleClass', id: 'book-vehicleClass' },
    ['sedan', 'suv', 'van'].map(kind => h('option', { value: kind }, t(`class.${kind}`))));
  const transfer = input('transfer', { type: 'checkbox' });
  const purpose = h('textarea', { name: 'routeNotes', id: 'book-routeNotes', rows: 2, maxlength: 2000 });
  const specialNeeds = h('textarea', { name: 'specialNeeds', id: 'book-specialNeeds', rows: 2, maxlength: 2000 });
  const contactName = input('contactName', { maxlength: 50, required: true, autocomplete: 'name' });
  const contactPhone = input('contactPhone', { type: 'tel', maxlength: 40, required: true, autocomplete: 'tel' });
  const contactEmail = input('contactEmail', { type: 'email', maxlength: 254, autocomplete: 'email' });
  const message = h('p', { class: 'form-error', role: 'alert', id: 'book-error' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'book-submit' }, t('book.submit'));

  const form = h('form', { class: 'side book-form', id: 'book-form', onsubmit: send },
    h('p', { class: 'hint' }, t('book.hint')),
    h('div', { class: 'row point-choices', role: 'group' }, chooser.pickup, chooser.destination),
    placeBlocks.pickup.element, placeBlocks.destination.element,
    h('div', { class: 'row' }, field('pickupTime', pickupTime, t('book.pickupTime')), field('serviceEnd', serviceEnd, t('book.serviceEnd'))),
    urgent,
    h('div', { class: 'row' }, field('passengers', passengers, t('book.passengers')), field('vehicleClass', vehicleClass, t('book.vehicleClass')),
      h('label', { class: 'inline', dataset: { field: 'transfer' } }, transfer, t('book.transfer'))),
    field('routeNotes', purpose, t('book.purpose')),
    field('specialNeeds', specialNeeds, t('book.specialNeeds')),
    h('div', { class: 'row' }, field('contactName', contactName, t('book.contactName')), field('contactPhone', contactPhone, t('book.contactPhone'))),
    field('contactEmail', contactEmail, t('book.contactEmail')),
    message, submit);

  const mapElement = h('div', { class: 'map', id: 'book-map' });
  show(container, h('h2', {}, t('book.title')), h('div', { class: 'split' }, mapElement, form));

  const { map, toScreen, pick } = createMap(mapElement, ctx);
  const markers = {};
  const line = L.polyline([], { color: '#1f6feb', weight: 2, dashArray: '6 6', interactive: false }).addTo(map);
  map.on('click', (event) => place(active, pick(event.latlng)));
  choose('pickup');
  timeChanged();
  prefillContact();

  function choose(place) {
    active = place;
    for (const name of places) chooser[name].setAttribute('aria-pressed', String(name === place));
    mapElement.dataset.choosing = place;
  }

  /** A point clicked for `name`: kept in WGS-84, drawn through toScreen like any stored position. */
  function place(name, [latitude, longitude]) {
    points[name] = { latitude, longitude };
    const block = placeBlocks[name];
    block.coordinates.textContent = `${latitude.toFixed(6)}, ${longitude.toFixed(6)}`;
    Object.assign(block.coordinates.dataset, { latitude: String(latitude), longitude: String(longitude) });
    if (!block.address.value.trim()) block.address.value = t('book.pointAddress', { latitude: latitude.toFixed(5), longitude: longitude.toFixed(5) });
    markers[name]?.remove();
    markers[name] = L.circleMarker(toScreen(latitude, longitude), { radius: 8, color: '#fff', weight: 2, fillColor: colours[name], fillOpacity: 1 })
      .bindTooltip(h('span', {}, t(`book.${name}`)), { permanent: true, direction: 'top', offset: [0, -8] }).addTo(map);
    line.setLatLngs(places.filter(p => points[p]).map(p => toScreen(points[p].latitude, points[p].longitude)));
    clear(name);
    if (name === 'pickup' && !points.destination) choose('destination');
  }

  function timeChanged() {
    clear('pickupTime');
    const at = fromChinaInput(pickupTime.value);
    // Not `hidden`: the badge's display would override it.
    urgent.style.display = at && at.getTime() - Date.now() <= urgentWithin ? '' : 'none';
    if (at && !endEdited) serviceEnd.value = chinaInputValue(new Date(at.getTime() + defaultService));
  }

  async function prefillContact() {
    // The contact of the agency's last booking is most often the next one's too.
    try {
      const last = (await api.get('/api/v1/bookings?limit=1')).items[0]?.request;
      if (!last) return;
      if (!contactName.value) contactName.value = last.contactName;
      if (!contactPhone.value) contactPhone.value = last.contactPhone;
      if (!contactEmail.value && last.contactEmail) contactEmail.value = last.contactEmail;
    } catch { /* an empty form is fine */ }
  }

  function clear(name) {
    form.querySelector(`[data-field="${name}"] > .field-error`)?.remove();
  }

  /** The message at the field the server (or the form) names; the form's foot if none matches. */
  function fault(name, text) {
    const key = places.find(p => name === `${p}.latitude` || name === `${p}.longitude`) ?? name;
    const target = key && form.querySelector(`[data-field="${key}"]`);
    if (!target) { message.textContent = t('book.failed', { reason: text }); return; }
    target.querySelector(':scope > .field-error')?.remove();
    target.append(h('span', { class: 'field-error', role: 'alert' }, text));
    target.querySelector('input, select, textarea, button')?.focus();
    target.scrollIntoView({ block: 'nearest' });
  }

  async function send(event) {
    event.preventDefault();
    for (const element of form.querySelectorAll('.field-error')) element.remove();
    message.textContent = '';
    const missing = places.find(p => !points[p]);
    if (missing) return fault(missing, t('book.pickOnMap', { place: t(`book.${missing}`) }));
    const at = fromChinaInput(pickupTime.value), end = fromChinaInput(serviceEnd.value);
    if (!at) return fault('pickupTime', t('book.badTime'));
    if (!end) return fault('serviceEnd', t('book.badTime'));
    if (end <= at) return fault('serviceEnd', t('book.endBeforePickup'));
    const optional = (value) => value.trim() || undefined;
    const body = {
      channel: 'platform',
      contactName: contactName.value.trim(), contactPhone: contactPhone.value.trim(), contactEmail: optional(contactEmail.value),
      passengers: Number(passengers.value), vehicleClass: vehicleClass.value, transfer: transfer.checked,
      pickupTime: at.toISOString(), serviceEnd: end.toISOString(),
      pickup: { ...points.pickup, address: placeBlocks.pickup.address.value.trim() },
      destination: { ...points.destination, address: placeBlocks.destination.address.value.trim() },
      routeNotes: optional(purpose.value), specialNeeds: optional(specialNeeds.value),
    };
    submit.disabled = true;
    try {
      const made = await api.post('/api/v1/bookings', body);
      ctx.toast(t('book.booked', { id: made.booking.id }), 'ok');
      ctx.navigate(`booking/${made.booking.id}`);
    } catch (error) {
      fault(error.field, error.field ? error.message : ctx.explain(error));
    } finally {
      submit.disabled = false;
    }
  }

  return () => map.remove();
}
