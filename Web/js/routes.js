// Every screen: its hash path (`:id` a parameter), the roles that see it, its place in the menu
// (none: reached from another screen), and its module, loaded when first shown.

const readers = ['administrator', 'dispatcher', 'auditor'];
const agency = ['agency', 'approver'];

export const routes = [
  { path: 'map', roles: readers, menu: 'menu.map', load: () => import('./screens/dispatcher/map.js') },
  { path: 'board', roles: readers, menu: 'menu.board', load: () => import('./screens/dispatcher/board.js') },
  { path: 'booking/:id', roles: [...readers, ...agency], load: () => import('./screens/booking.js') },
  { path: 'alerts', roles: readers, menu: 'menu.alerts', load: () => import('./screens/dispatcher/alerts.js') },
  { path: 'replay', roles: readers, menu: 'menu.replay', load: () => import('./screens/dispatcher/replay.js') },
  { path: 'files', roles: readers, menu: 'menu.files', load: () => import('./screens/dispatcher/files.js') },
  { path: 'vehicle/:plate', roles: readers, load: () => import('./screens/dispatcher/vehicle.js') },
  { path: 'book', roles: agency, menu: 'menu.book', load: () => import('./screens/agency/book.js') },
  { path: 'bookings', roles: agency, menu: 'menu.bookings', load: () => import('./screens/agency/bookings.js') },
  { path: 'settlements', roles: [...readers, 'agency'], menu: 'menu.settlements', load: () => import('./screens/agency/settlements.js') },
  { path: 'statements', roles: ['administrator', 'auditor', 'agency'], menu: 'menu.statements', load: () => import('./screens/agency/statements.js') },
  { path: 'complaints', roles: [...readers, 'agency'], menu: 'menu.complaints', load: () => import('./screens/agency/complaints.js') },
  { path: 'jobs', roles: ['driver'], menu: 'menu.jobs', load: () => import('./screens/driver/jobs.js') },
  { path: 'job/:id', roles: ['driver'], load: () => import('./screens/driver/job.js') },
  { path: 'users', roles: ['administrator', 'auditor'], menu: 'menu.users', load: () => import('./screens/admin/users.js') },
  { path: 'tariffs', roles: ['administrator', 'auditor'], menu: 'menu.tariffs', load: () => import('./screens/admin/tariffs.js') },
  { path: 'zones', roles: ['administrator', 'auditor', 'dispatcher'], menu: 'menu.zones', load: () => import('./screens/admin/zones.js') },
  { path: 'audit', roles: ['administrator', 'auditor'], menu: 'menu.audit', load: () => import('./screens/admin/audit.js') },
  { path: 'wall', roles: readers, menu: 'menu.wall', load: () => import('./screens/wall.js') },
];

/** Where each role lands after signing in. */
export const home = {
  administrator: 'map', dispatcher: 'map', auditor: 'audit', agency: 'bookings', approver: 'bookings', driver: 'jobs',
};

/** The route and its parameters for a hash path such as `booking/12`. */
export function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const parameters = {};
    if (pattern.every((piece, i) => piece.startsWith(':') ? ((parameters[piece.slice(1)] = decodeURIComponent(parts[i])), true) : piece === parts[i])) {
      return { route, parameters };
    }
  }
  return null;
}
