// record.js — the "Record a trace" page: writes this server's own address into the command
// lines (textContent only), so they can be copied as they are.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  for (const span of document.querySelectorAll('.server-origin'))
    span.textContent = window.location.origin;
});
