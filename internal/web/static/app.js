// Hearth's progressive enhancement. Every page works without JavaScript; this
// only makes some things nicer. The Content Security Policy forbids inline
// script, so all of Hearth's JavaScript lives in files like this one.
//
// Loaded as an ES module (<script type="module" src=".../app.js">), so it runs
// after the document is parsed and only in browsers that support modules.

// NHS.UK frontend 10 ships as an ES module: its components (header menu,
// character count, conditional radios and checkboxes, error summary focus,
// tabs, …) start when initAll() is called. initAll() does nothing unless
// <body> has the class nhsuk-frontend-supported, which frontend-supported.js
// sets before the first paint.
import { initAll } from './nhsuk/nhsuk-frontend.min.js';

initAll();

// <form data-confirm="Withdraw this consent?"> asks before submitting. The
// server still validates and audits; this only guards against a slip of the
// finger on a phone.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const message = form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
