// Marks the page as able to run NHS.UK frontend's JavaScript, before the first
// paint, so conditional reveals and other enhanced components do not flash
// their no-JavaScript state. NHS.UK frontend's own template does this with an
// inline script; Hearth's Content Security Policy forbids inline script, so
// the layout loads this file synchronously as the first thing in <body>.
// 'noModule' is only present in browsers that run ES modules, which
// nhsuk-frontend.min.js is; without it the page stays fully usable without JS.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
