// The fleet's files: every vehicle (dispatchable or why not, reserve, charge) and driver (may
// drive or why not), what the files need soon (reminders), filters; an operator files a
// vehicle or a driver, the API's refusal shown at the field it names.
import { h, show, table } from '../../dom.js';
import { register, formatTime } from '../../i18n.js';
import { field, clearErrors, showError, integer } from './fields.js';

register({
  zh: {
    'files.title': '车辆与驾驶员', 'files.vehicles': '车辆（{shown}/{total}）', 'files.drivers': '驾驶员（{shown}/{total}）', 'files.reminders': '待办提醒',
    'files.search': '搜索车牌或姓名', 'files.standing': '状态', 'files.all': '全部', 'files.fit': '可调度', 'files.unfit': '不可调度', 'files.reserveOnly': '仅备用',
    'files.plate': '车牌', 'files.class': '车型', 'files.seats': '座位', 'files.brand': '品牌型号', 'files.charge': '电量', 'files.range': '续航', 'files.reserve': '备用',
    'files.terminal': '终端', 'files.reasons': '原因', 'files.dispatchable': '可调度', 'files.notDispatchable': '不可调度', 'files.eligible': '可出车', 'files.notEligible': '不可出车',
    'files.name': '姓名', 'files.phone': '电话', 'files.licence': '驾驶证号', 'files.licenceClasses': '准驾车型', 'files.licenceExpiry': '驾驶证有效期至', 'files.points': '记分',
    'files.vehicle': '配对车辆', 'files.birthDate': '出生日期', 'files.serviceSince': '从业起始', 'files.certificate': '从业资格证号',
    'files.energy': '能源', 'files.vin': '车架号', 'files.model': '型号', 'files.rangeKm': '续航（公里）', 'files.stateOfCharge': '当前电量（%）',
    'files.fileVehicle': '登记车辆', 'files.fileDriver': '登记驾驶员', 'files.filed': '{name} 已登记',
    'files.kind': '类别', 'files.subject': '对象', 'files.detail': '说明', 'files.due': '到期',
    'files.reminder.insuranceExpiring': '保险续保', 'files.reminder.inspectionDue': '检验到期', 'files.reminder.licenceExpiring': '驾驶证到期', 'files.reminder.reserveShort': '备用不足',
    'files.class.sedan': '轿车', 'files.class.suv': 'SUV', 'files.class.van': '商务车',
    'files.energy.batteryElectric': '纯电', 'files.energy.plugInHybrid': '插电混动', 'files.energy.fuelCell': '燃料电池', 'files.energy.gas': '燃气',
    'files.energy.petrol': '汽油', 'files.energy.diesel': '柴油', 'files.yes': '是',
  },
  en: {
    'files.title': 'Vehicles & drivers', 'files.vehicles': 'Vehicles ({shown}/{total})', 'files.drivers': 'Drivers ({shown}/{total})', 'files.reminders': 'Reminders',
    'files.search': 'Search plate or name', 'files.standing': 'Standing', 'files.all': 'All', 'files.fit': 'Dispatchable', 'files.unfit': 'Not dispatchable', 'files.reserveOnly': 'Reserve only',
    'files.plate': 'Plate', 'files.class': 'Class', 'files.seats': 'Seats', 'files.brand': 'Make & model', 'files.charge': 'Charge', 'files.range': 'Range', 'files.reserve': 'Reserve',
    'files.terminal': 'Terminal', 'files.reasons': 'Reasons', 'files.dispatchable': 'Dispatchable', 'files.notDispatchable': 'Not dispatchable', 'files.eligible': 'May drive', 'files.notEligible': 'May not drive',
    'files.name': 'Name', 'files.phone': 'Phone', 'files.licence': 'Licence no.', 'files.licenceClasses': 'Licence classes', 'files.licenceExpiry': 'Licence valid until', 'files.points': 'Points',
    'files.vehicle': 'Paired vehicle', 'files.birthDate': 'Birth date', 'files.serviceSince': 'Driving since', 'files.certificate': 'Qualification certificate no.',
    'files.energy': 'Energy', 'files.vin': 'VIN', 'files.model': 'Model', 'files.rangeKm': 'Range (km)', 'files.stateOfCharge': 'Charge now (%)',
    'files.fileVehicle': 'File a vehicle', 'files.fileDriver': 'File a driver', 'files.filed': '{name} filed',
    'files.kind': 'Kind', 'files.subject': 'About', 'files.detail': 'Detail', 'files.due': 'Due',
    'files.reminder.insuranceExpiring': 'Insurance to renew', 'files.reminder.inspectionDue': 'Inspection due', 'files.reminder.licenceExpiring': 'Licence to renew', 'files.reminder.reserveShort': 'Spares short',
    'files.class.sedan': 'Sedan', 'files.class.suv': 'SUV', 'files.class.van': 'Van',
    'files.energy.batteryElectric': 'Battery electric', 'files.energy.plugInHybrid': 'Plug-in hybrid', 'files.energy.fuelCell': 'Fuel cell', 'files.energy.gas': 'Gas',
    'files.energy.petrol': 'Petrol', 'files.energy.diesel': 'Diesel', 'files.yes': 'yes',
  },
});

const CLASSES = ['sedan', 'suv', 'van'];
const ENERGIES = ['batteryElectric', 'plugInHybrid', 'fuelCell', 'gas', 'petrol', 'diesel'];

/** A badge saying fit or not, with the reasons beside it. */
function standing(fit, reasons, yes, no) {
  return [h('span', { class: `badge ${fit ? 'desk-ok' : 'red'}` }, fit ? yes : no), reasons.length ? h('div', { class: 'desk-reasons' }, reasons.join('；')) : null];
}

export async function render(container, ctx) {
  const { api, user, t, toast, explain } = ctx;
  const operator = user.role === 'administrator' || user.role === 'dispatcher';
  let vehicles = [], drivers = [], reminders = [];

  const search = h('input', { id: 'files-search', type: 'search', placeholder: t('files.search'), oninput: () => draw() });
  const fit = h('select', { id: 'files-standing', onchange: () => draw() },
    h('option', { value: '' }, t('files.all')), h('option', { value: 'fit' }, t('files.fit')), h('option', { value: 'unfit' }, t('files.unfit')));
  const reserveOnly = h('input', { id: 'files-reserve', type: 'checkbox', onchange: () => draw() });
  const vehicleHeading = h('h3', {});
  const driverHeading = h('h3', {});
  const vehicleList = h('div', { id: 'vehicle-list' });
  const driverList = h('div', { id: 'driver-list' });
  const reminderList = h('div', { id: 'reminder-list' });

  show(container,
    h('div', { class: 'row' },
      h('h2', {}, t('files.title')),
      h('label', {}, t('files.search'), search),
      h('label', {}, t('files.standing'), fit),
      h('label', { class: 'inline' }, reserveOnly, t('files.reserveOnly'))),
    h('div', { class: 'split desk-split' },
      h('div', { class: 'desk-scroll' }, vehicleHeading, vehicleList, driverHeading, driverList),
      h('aside', { class: 'side' },
        h('div', { class: 'card' }, h('h3', {}, t('files.reminders')), reminderList),
        operator ? vehicleForm() : null,
        operator ? driverForm() : null)));

  function matches(text) {
    const wanted = search.value.trim().toLowerCase();
    return !wanted || text.toLowerCase().includes(wanted);
  }
  function standingMatches(ok, reserve) {
    return (!fit.value || (fit.value === 'fit') === ok) && (!reserveOnly.checked || reserve);
  }

  function draw() {
    const plates = new Map(vehicles.map(v => [v.file.id, v.file.plate]));
    const shownVehicles = vehicles.filter(v => matches(`${v.file.plate} ${v.file.brand ?? ''} ${v.file.model ?? ''}`) && standingMatches(v.dispatchable, v.file.reserve));
    const shownDrivers = drivers.filter(d => matches(`${d.file.name} ${d.file.phone}`) && standingMatches(d.eligible, d.file.reserve));
    vehicleHeading.textContent = t('files.vehicles', { shown: shownVehicles.length, total: vehicles.length });
    driverHeading.textContent = t('files.drivers', { shown: shownDrivers.length, total: drivers.length });
    show(vehicleList, table([
      [t('files.plate'), v => h('a', { href: `#/vehicle/${encodeURIComponent(v.file.plate)}` }, v.file.plate)],
      [t('files.class'), v => `${t(`files.class.${v.file.vehicleClass}`)} · ${v.file.seats}`],
      [t('files.brand'), v => [v.file.brand, v.file.model].filter(Boolean).join(' ') || '—'],
      [t('files.charge'), v => (v.file.stateOfCharge == null ? '—' : `${v.file.stateOfCharge}%`)],
      [t('files.range'), v => `${v.file.rangeKm} km`],
      [t('files.reserve'), v => (v.file.reserve ? t('files.yes') : '')],
      [t('files.terminal'), v => v.file.terminalPhone ?? '—'],
      [t('files.standing'), v => standing(v.dispatchable, v.reasons, t('files.dispatchable'), t('files.notDispatchable'))],
    ], shownVehicles, { empty: t('empty'), rowAttributes: v => ({ dataset: { vehicle: v.file.plate, dispatchable: String(v.dispatchable) } }) }));
    show(driverList, table([
      [t('files.name'), d => d.file.name],
      [t('files.phone'), d => d.file.phone],
      [t('files.licenceClasses'), d => d.file.licenceClasses.join(' ')],
      [t('files.licenceExpiry'), d => d.file.licenceExpiry],
      [t('files.points'), d => d.file.points],
      [t('files.reserve'), d => (d.file.reserve ? t('files.yes') : '')],
      [t('files.vehicle'), d => {
        const plate = plates.get(d.file.vehicleID);
        return plate ? h('a', { href: `#/vehicle/${encodeURIComponent(plate)}` }, plate) : '—';
      }],
      [t('files.standing'), d => standing(d.eligible, d.reasons, t('files.eligible'), t('files.notEligible'))],
    ], shownDrivers, { empty: t('empty'), rowAttributes: d => ({ dataset: { driver: d.file.id, eligible: String(d.eligible) } }) }));
    show(reminderList, table([
      [t('files.due'), r => formatTime(r.due, { date: true })],
      [t('files.kind'), r => t(`files.reminder.${r.kind}`)],
      [t('files.subject'), r => r.subject],
      [t('files.detail'), r => r.detail],
    ], reminders, { empty: t('empty'), rowAttributes: r => ({ dataset: { reminder: r.kind } }) }));
  }

  async function load() {
    [vehicles, drivers, reminders] = await Promise.all([api.get('/api/v1/vehicles'), api.get('/api/v1/drivers'), api.get('/api/v1/reminders')]);
    vehicles.sort((a, b) => a.file.plate.localeCompare(b.file.plate));
    drivers.sort((a, b) => a.file.name.localeCompare(b.file.name, 'zh'));
    reminders.sort((a, b) => (a.due < b.due ? -1 : 1));
    draw();
  }

  // One submit for both forms: the body from the inputs, the refusal at its field.
  function filing(id, title, inputs, body, path, name) {
    const form = h('form', { id, class: 'card desk-form', onsubmit: async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        await api.post(path, body());
        toast(t('files.filed', { name: name() }), 'ok');
        form.reset();
        await load();
      } catch (error) {
        showError(form, error, explain);
      }
    } }, h('h3', {}, title), inputs, h('p', { class: 'form-error', role: 'alert' }), h('button', { type: 'submit', class: 'primary' }, t('save')));
    return h('details', {}, h('summary', {}, title), form);
  }

  function vehicleForm() {
    const i = {
      plate: h('input', { name: 'plate', required: true, maxlength: 16 }),
      vehicleClass: h('select', { name: 'vehicleClass' }, CLASSES.map(c => h('option', { value: c }, t(`files.class.${c}`)))),
      seats: h('input', { name: 'seats', type: 'number', required: true, min: 1, max: 9, value: 5 }),
      energy: h('select', { name: 'energy' }, ENERGIES.map(e => h('option', { value: e }, t(`files.energy.${e}`)))),
      brand: h('input', { name: 'brand', maxlength: 64 }),
      model: h('input', { name: 'model', maxlength: 64 }),
      vin: h('input', { name: 'vin', maxlength: 17 }),
      rangeKm: h('input', { name: 'rangeKm', type: 'number', min: 1, value: 400 }),
      stateOfCharge: h('input', { name: 'stateOfCharge', type: 'number', min: 0, max: 100 }),
      reserve: h('input', { name: 'reserve', type: 'checkbox' }),
    };
    return filing('vehicle-form', t('files.fileVehicle'), h('div', { class: 'desk-grid' },
      field(t('files.plate'), i.plate), field(t('files.class'), i.vehicleClass), field(t('files.seats'), i.seats), field(t('files.energy'), i.energy),
      field(t('files.brand'), i.brand), field(t('files.model'), i.model), field(t('files.vin'), i.vin), field(t('files.rangeKm'), i.rangeKm),
      field(t('files.stateOfCharge'), i.stateOfCharge), field(t('files.reserve'), i.reserve)),
    () => ({
      plate: i.plate.value.trim(), vehicleClass: i.vehicleClass.value, seats: integer(i.seats), energy: i.energy.value,
      brand: i.brand.value.trim() || undefined, model: i.model.value.trim() || undefined, vin: i.vin.value.trim() || undefined,
      rangeKm: integer(i.rangeKm), stateOfCharge: integer(i.stateOfCharge), reserve: i.reserve.checked,
    }), '/api/v1/vehicles', () => i.plate.value.trim());
  }

  function driverForm() {
    const date = name => h('input', { name, type: 'date', required: true });
    const i = {
      name: h('input', { name: 'name', required: true, maxlength: 64 }),
      phone: h('input', { name: 'phone', type: 'tel', required: true, maxlength: 20 }),
      birthDate: date('birthDate'), serviceSince: date('serviceSince'),
      licenceNumber: h('input', { name: 'licenceNumber', required: true, maxlength: 32 }),
      licenceClasses: h('input', { name: 'licenceClasses', required: true, value: 'C1', maxlength: 32 }),
      licenceExpiry: date('licenceExpiry'),
      certificateNumber: h('input', { name: 'certificateNumber', maxlength: 32 }),
      reserve: h('input', { name: 'reserve', type: 'checkbox' }),
    };
    return filing('driver-form', t('files.fileDriver'), h('div', { class: 'desk-grid' },
      field(t('files.name'), i.name), field(t('files.phone'), i.phone), field(t('files.birthDate'), i.birthDate), field(t('files.serviceSince'), i.serviceSince),
      field(t('files.licence'), i.licenceNumber), field(t('files.licenceClasses'), i.licenceClasses), field(t('files.licenceExpiry'), i.licenceExpiry),
      field(t('files.certificate'), i.certificateNumber), field(t('files.reserve'), i.reserve)),
    () => ({
      name: i.name.value.trim(), phone: i.phone.value.trim(), birthDate: i.birthDate.value, serviceSince: i.serviceSince.value,
      licenceNumber: i.licenceNumber.value.trim(), licenceClasses: i.licenceClasses.value.split(/[\s,，]+/).filter(Boolean),
      licenceExpiry: i.licenceExpiry.value, certificateNumber: i.certificateNumber.value.trim() || undefined, reserve: i.reserve.checked,
    }), '/api/v1/drivers', () => i.name.value.trim());
  }

  await load();
}
