// Loaded `async` before main.js: starts the first page's queries as soon
// as this module and the few it imports are in (not waiting for the
// stylesheets or the other modules), while the rest of the UI's modules
// still load (see queries.js).

import { startEarly } from './queries.js';

startEarly();
