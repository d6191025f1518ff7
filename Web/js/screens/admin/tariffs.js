// Tariffs by vehicle class with their versions (the one in force today marked), and each
// agency's agreement: discount, caps, cancellation, the driver's meals and lodging. The
// administrator adds a tariff version and sets an agreement; amounts are typed in yuan and sent
// as integer fen.
import { h, show, table, yuan } from '../../dom.js';
import { register } from '../../i18n.js';
import { parseDecimal } from '../../words.js';

register({
  zh: {
    'tariffs.title': '价格与协议', 'tariffs.class.sedan': '轿车', 'tariffs.class.suv': 'SUV', 'tariffs.class.van': '商务车',
    'tariffs.validFrom': '生效日', 'tariffs.halfDay': '半日', 'tariffs.fullDay': '全日', 'tariffs.transfer': '接送', 'tariffs.overtime': '超时费/小时',
    'tariffs.perKm': '超里程/公里', 'tariffs.inForce': '现行', 'tariffs.basis.startedHour': '按起算小时', 'tariffs.basis.proRata': '按比例',
    'tariffs.package': '{price}（{hours} 小时/{km} 公里）', 'tariffs.new': '新价格版本', 'tariffs.class': '车型', 'tariffs.basis': '超时计费',
    'tariffs.hours': '{name}小时', 'tariffs.km': '{name}公里', 'tariffs.price': '{name}价格（元）', 'tariffs.saved': '已保存',
    'tariffs.agreements': '用车单位协议', 'tariffs.agency': '单位', 'tariffs.discount': '折扣', 'tariffs.caps': '封顶价',
    'tariffs.cancellation': '取消', 'tariffs.cancelTerms': '提前 {hours} 小时免费，之后 {late}%，到场后 {onSite}%', 'tariffs.meals': '餐费/日',
    'tariffs.lodging': '住宿/晚', 'tariffs.edit': '修改', 'tariffs.editAgreement': '修改协议：{agency}', 'tariffs.discountPercent': '折扣（%）',
    'tariffs.cap': '{name}封顶（元，空为不封顶）', 'tariffs.freeHours': '免费取消提前小时数', 'tariffs.latePercent': '迟取消收取（%）',
    'tariffs.onSitePercent': '到场后取消收取（%）', 'tariffs.mealsYuan': '餐费标准（元/日）', 'tariffs.lodgingYuan': '住宿标准（元/晚）',
    'tariffs.bad': '{field}：请输入数字', 'tariffs.noCap': '不封顶',
  },
  en: {
    'tariffs.title': 'Tariffs & agreements', 'tariffs.class.sedan': 'Sedan', 'tariffs.class.suv': 'SUV', 'tariffs.class.van': 'Van',
    'tariffs.validFrom': 'From', 'tariffs.halfDay': 'Half day', 'tariffs.fullDay': 'Full day', 'tariffs.transfer': 'Transfer', 'tariffs.overtime': 'Over-time/h',
    'tariffs.perKm': 'Over-distance/km', 'tariffs.inForce': 'In force', 'tariffs.basis.startedHour': 'per started hour', 'tariffs.basis.proRata': 'pro rata',
    'tariffs.package': '{price} ({hours} h/{km} km)', 'tariffs.new': 'New tariff version', 'tariffs.class': 'Class', 'tariffs.basis': 'Over-time basis',
    'tariffs.hours': '{name} hours', 'tariffs.km': '{name} km', 'tariffs.price': '{name} price (yuan)', 'tariffs.saved': 'Saved',
    'tariffs.agreements': "Agencies' agreements", 'tariffs.agency': 'Agency', 'tariffs.discount': 'Discount', 'tariffs.caps': 'Caps',
    'tariffs.cancellation': 'Cancellation', 'tariffs.cancelTerms': 'free until {hours} h before, then {late}%, {onSite}% on site', 'tariffs.meals': 'Meals/day',
    'tariffs.lodging': 'Lodging/night', 'tariffs.edit': 'Edit', 'tariffs.editAgreement': 'Agreement of {agency}', 'tariffs.discountPercent': 'Discount (%)',
    'tariffs.cap': '{name} cap (yuan, empty for none)', 'tariffs.freeHours': 'Free cancellation, hours before', 'tariffs.latePercent': 'Late cancellation (%)',
    'tariffs.onSitePercent': 'Cancelled on site (%)', 'tariffs.mealsYuan': 'Meals (yuan/day)', 'tariffs.lodgingYuan': 'Lodging (yuan/night)',
    'tariffs.bad': '{field}: type a number', 'tariffs.noCap': 'no cap',
  },
});

const classes = ['sedan', 'suv', 'van'];
const packages = ['halfDay', 'fullDay', 'transfer'];

/** Today in China as YYYY-MM-DD. */
function chinaToday() { return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10); }

/** Fen as a yuan amount an input shows: 35000 -> '350.00'. */
function yuanText(fen) { return `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`; }

/** Hundredths as a decimal: 1250 (basis points) -> "12.5" (percent), 200 (of an hour) -> "2". */
function hundredths(bp) { return `${Math.trunc(bp / 100)}${bp % 100 ? `.${String(bp % 100).padStart(2, '0').replace(/0$/, '')}` : ''}`; }

export async function render(container, ctx) {
  const { api, t, toast, explain } = ctx;
  const admin = ctx.user.role === 'administrator';
  const tariffBox = h('div', { id: 'tariffs' });
  const agreementBox = h('div', { id: 'agreements' });
  const editor = h('div', {});
  const agencies = await api.get('/api/v1/agencies');
  let book = { tariffs: [] };

  /** A form's number fields read as integers; the first bad one says which. */
  function reader(error) {
    return (input, label, places) => {
      const value = parseDecimal(input.value, places);
      if (value === null) { error.textContent = t('tariffs.bad', { field: label }); throw new Error(label); }
      return value;
    };
  }

  function inForce(vehicleClass) {
    const today = chinaToday();
    return book.tariffs.filter(v => v.vehicleClass === vehicleClass && v.validFrom <= today).sort((a, b) => b.validFrom.localeCompare(a.validFrom))[0];
  }

  async function loadTariffs() {
    book = await api.get('/api/v1/tariffs');
    const packageCell = (kind) => (v) => {
      const p = v.packages.find(x => x.kind === kind);
      return p ? t('tariffs.package', { price: yuan(p.priceFen), hours: p.hours, km: p.kilometres }) : '—';
    };
    show(tariffBox, classes.map(vehicleClass => {
      const current = inForce(vehicleClass);
      const versions = book.tariffs.filter(v => v.vehicleClass === vehicleClass).sort((a, b) => b.validFrom.localeCompare(a.validFrom));
      return h('div', { class: 'card', 'data-class': vehicleClass },
        h('h3', {}, t(`tariffs.class.${vehicleClass}`)),
        table([
          [t('tariffs.validFrom'), v => [v.validFrom, ' ', v === current ? h('span', { class: 'badge' }, t('tariffs.inForce')) : null]],
          [t('tariffs.halfDay'), packageCell('halfDay')], [t('tariffs.fullDay'), packageCell('fullDay')], [t('tariffs.transfer'), packageCell('transfer')],
          [t('tariffs.overtime'), v => `${yuan(v.overtimeFenPerHour)} ${t(`tariffs.basis.${v.overtimeBasis}`)}`],
          [t('tariffs.perKm'), v => yuan(v.overDistanceFenPerKm)],
        ], versions, { rowAttributes: v => ({ 'data-valid-from': v.validFrom }) }));
    }));
  }

  function tariffForm() {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const vehicleClass = h('select', { id: 'tariff-class' }, classes.map(c => h('option', { value: c }, t(`tariffs.class.${c}`))));
    const validFrom = h('input', { type: 'date', id: 'tariff-from', required: true, value: chinaToday() });
    const fields = Object.fromEntries(packages.flatMap(kind => [
      [`${kind}.price`, h('input', { inputmode: 'decimal', id: `tariff-${kind}-price` })],
      [`${kind}.hours`, h('input', { inputmode: 'numeric', id: `tariff-${kind}-hours` })],
      [`${kind}.km`, h('input', { inputmode: 'numeric', id: `tariff-${kind}-km` })],
    ]));
    const overtime = h('input', { inputmode: 'decimal', id: 'tariff-overtime' });
    const basis = h('select', { id: 'tariff-basis' }, ['startedHour', 'proRata'].map(b => h('option', { value: b }, t(`tariffs.basis.${b}`))));
    const perKm = h('input', { inputmode: 'decimal', id: 'tariff-per-km' });
    // Filled from the class's version in force, so a new version changes only what differs.
    const fill = () => {
      const current = inForce(vehicleClass.value);
      if (!current) return;
      for (const p of current.packages) {
        fields[`${p.kind}.price`].value = yuanText(p.priceFen);
        fields[`${p.kind}.hours`].value = String(p.hours);
        fields[`${p.kind}.km`].value = String(p.kilometres);
      }
      overtime.value = yuanText(current.overtimeFenPerHour);
      basis.value = current.overtimeBasis;
      perKm.value = yuanText(current.overDistanceFenPerKm);
    };
    vehicleClass.addEventListener('change', fill);
    fill();
    return h('form', { class: 'card', id: 'tariff-form', onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      const read = reader(error);
      try {
        const name = (kind) => t(`tariffs.${kind}`);
        const body = {
          vehicleClass: vehicleClass.value, validFrom: validFrom.value,
          packages: packages.map(kind => ({
            kind, priceFen: read(fields[`${kind}.price`], t('tariffs.price', { name: name(kind) }), 2),
            hours: read(fields[`${kind}.hours`], t('tariffs.hours', { name: name(kind) }), 0),
            kilometres: read(fields[`${kind}.km`], t('tariffs.km', { name: name(kind) }), 0),
          })),
          overtimeFenPerHour: read(overtime, t('tariffs.overtime'), 2), overtimeBasis: basis.value,
          overDistanceFenPerKm: read(perKm, t('tariffs.perKm'), 2),
        };
        await api.put('/api/v1/tariffs', body);
        toast(t('tariffs.saved'), 'ok');
        await loadTariffs();
      } catch (failure) {
        if (!error.textContent) error.textContent = explain(failure);
      }
    } },
    h('h3', {}, t('tariffs.new')),
    h('div', { class: 'row' }, h('label', {}, t('tariffs.class'), vehicleClass), h('label', {}, t('tariffs.validFrom'), validFrom)),
    packages.map(kind => h('div', { class: 'row' },
      h('label', {}, t('tariffs.price', { name: t(`tariffs.${kind}`) }), fields[`${kind}.price`]),
      h('label', {}, t('tariffs.hours', { name: t(`tariffs.${kind}`) }), fields[`${kind}.hours`]),
      h('label', {}, t('tariffs.km', { name: t(`tariffs.${kind}`) }), fields[`${kind}.km`]))),
    h('div', { class: 'row' }, h('label', {}, t('tariffs.overtime'), overtime), h('label', {}, t('tariffs.basis'), basis), h('label', {}, t('tariffs.perKm'), perKm)),
    error, h('button', { type: 'submit', class: 'primary', id: 'tariff-save' }, t('save')));
  }

  async function loadAgreements() {
    const agreements = await Promise.all(agencies.map(a => api.get(`/api/v1/agencies/${a.id}/agreement`).then(agreement => ({ agency: a, agreement }))));
    const caps = (capFen) => {
      const named = packages.filter(kind => capFen?.[kind] !== undefined);
      return named.length ? named.map(kind => `${t(`tariffs.${kind}`)} ${yuan(capFen[kind])}`).join(' · ') : t('tariffs.noCap');
    };
    const columns = [
      [t('tariffs.agency'), r => r.agency.name],
      [t('tariffs.discount'), r => `${hundredths(r.agreement.discountBasisPoints)}%`],
      [t('tariffs.caps'), r => caps(r.agreement.capFen)],
      [t('tariffs.cancellation'), r => t('tariffs.cancelTerms', {
        hours: hundredths(Math.round(r.agreement.cancellation.freeNotice / 36)), late: r.agreement.cancellation.latePercent, onSite: r.agreement.cancellation.onSitePercent })],
      [t('tariffs.meals'), r => yuan(r.agreement.mealsFenPerDay)],
      [t('tariffs.lodging'), r => yuan(r.agreement.lodgingFenPerNight)],
    ];
    if (admin) columns.push(['', r => h('button', { type: 'button', 'data-edit': r.agency.id, onclick: () => show(editor, agreementForm(r)) }, t('tariffs.edit'))]);
    show(agreementBox, table(columns, agreements, { rowAttributes: r => ({ 'data-agency': r.agency.id }) }));
  }

  function agreementForm({ agency, agreement }) {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const input = (id, value) => h('input', { id, inputmode: 'decimal', value });
    const discount = input('agreement-discount', hundredths(agreement.discountBasisPoints));
    const caps = Object.fromEntries(packages.map(kind => [kind, input(`agreement-cap-${kind}`, agreement.capFen?.[kind] !== undefined ? yuanText(agreement.capFen[kind]) : '')]));
    const freeHours = input('agreement-free-hours', hundredths(Math.round(agreement.cancellation.freeNotice / 36)));
    const late = input('agreement-late', String(agreement.cancellation.latePercent));
    const onSite = input('agreement-on-site', String(agreement.cancellation.onSitePercent));
    const meals = input('agreement-meals', yuanText(agreement.mealsFenPerDay));
    const lodging = input('agreement-lodging', yuanText(agreement.lodgingFenPerNight));
    return h('form', { class: 'card', id: 'agreement-form', 'data-agency': agency.id, onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      const read = reader(error);
      try {
        const capFen = {};
        for (const kind of packages) if (caps[kind].value.trim()) capFen[kind] = read(caps[kind], t('tariffs.cap', { name: t(`tariffs.${kind}`) }), 2);
        const body = {
          discountBasisPoints: read(discount, t('tariffs.discountPercent'), 2), capFen,
          // Hours with two decimals are hundredths of an hour: 36 seconds each.
          cancellation: { freeNotice: read(freeHours, t('tariffs.freeHours'), 2) * 36, latePercent: read(late, t('tariffs.latePercent'), 0), onSitePercent: read(onSite, t('tariffs.onSitePercent'), 0) },
          mealsFenPerDay: read(meals, t('tariffs.mealsYuan'), 2), lodgingFenPerNight: read(lodging, t('tariffs.lodgingYuan'), 2),
        };
        await api.put(`/api/v1/agencies/${agency.id}/agreement`, body);
        toast(t('tariffs.saved'), 'ok');
        editor.replaceChildren();
        await loadAgreements();
      } catch (failure) {
        if (!error.textContent) error.textContent = explain(failure);
      }
    } },
    h('h3', {}, t('tariffs.editAgreement', { agency: agency.name })),
    h('div', { class: 'row' }, h('label', {}, t('tariffs.discountPercent'), discount),
      packages.map(kind => h('label', {}, t('tariffs.cap', { name: t(`tariffs.${kind}`) }), caps[kind]))),
    h('div', { class: 'row' }, h('label', {}, t('tariffs.freeHours'), freeHours), h('label', {}, t('tariffs.latePercent'), late), h('label', {}, t('tariffs.onSitePercent'), onSite)),
    h('div', { class: 'row' }, h('label', {}, t('tariffs.mealsYuan'), meals), h('label', {}, t('tariffs.lodgingYuan'), lodging)),
    error, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'agreement-save' }, t('save')),
      h('button', { type: 'button', onclick: () => editor.replaceChildren() }, t('cancel'))));
  }

  await loadTariffs();
  await loadAgreements();
  container.append(h('h2', {}, t('tariffs.title')),
    h('div', { class: 'admin-grid' }, tariffBox, admin ? tariffForm() : null),
    h('h2', {}, t('tariffs.agreements')), agreementBox, editor);
}
