package browsertest

import (
	"github.com/chromedp/chromedp"
)

// The header menu is shown two ways (docs/screens.md): on a wide screen
// as links in the header, on a phone folded into a "Menu" that opens.
// Both are in the page; the one not shown is hidden by CSS, so a plain
// selector would find the hidden copy first.

// ClickMenu follows the header menu's link to href, opening the phone's
// Menu first when that is how the menu is shown, as a person would.
func (b *Browser) ClickMenu(href string) {
	b.t.Helper()
	if b.openSmallMenu() {
		b.Click(".hearth-menu-small a[href='" + href + "']")
		return
	}
	b.Click(".hearth-menu-wide a[href='" + href + "']")
}

// SignOut presses Sign out in the header menu, opening the phone's Menu
// first when that is how the menu is shown.
func (b *Browser) SignOut() {
	b.t.Helper()
	if b.openSmallMenu() {
		b.Click(".hearth-menu-small button[form=signout]")
		return
	}
	b.Click(".hearth-menu-wide button")
}

// openSmallMenu opens the phone's Menu when it is the menu shown, and
// reports whether it is.
func (b *Browser) openSmallMenu() bool {
	b.t.Helper()
	small := b.evalBool(`(() => { const m = document.querySelector('.hearth-menu-small'); return !!m && getComputedStyle(m).display !== 'none'; })()`)
	if small && !b.evalBool(`document.querySelector('.hearth-menu-small').open`) {
		b.Click(".hearth-menu-small__toggle")
	}
	return small
}

func (b *Browser) evalBool(js string) bool {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.fatalf("evaluate %s: %v", js, err)
	}
	return v
}
