package door_test

import (
	"go/ast"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// The packages that may reach the store's query methods themselves, each
// with why. Everything else reaches the database through a door scope
// (after a permitting decision) or a named door.Exception.
// docs/architecture.md ("The door") says the same; change both together.
var mayQueryStore = map[string]string{
	"hearth/internal/door":            "the door itself: decisions, facts and their audit events",
	"hearth/internal/store":           "opens the database, migrates, runs transactions",
	"hearth/internal/store/storetest": "gives each test a fresh database (test support, never in the binary)",
	"hearth/internal/apptest":         "builds a whole Hearth for a test and counts rows as a test does (test support, never in the binary)",
	"hearth/internal/audit":           "the audit log itself: appends in the door's transaction, seals, verifies, issues receipts",
	"hearth/internal/accounts":        "sign-in, sessions, second factors and account records (no care record); every change audited through audit.Log",
	"hearth/internal/bench":           "measures the engine's raw commit rate in a scratch database or schema of its own, beside the load it drives over HTTP (no one's record)",
	"hearth/internal/gen":             "generates synthetic scale data for benchmarks; never run on a provider's database (it refuses one that holds a provider)",
	"hearth/internal/backup":          "copies every table wholesale in one snapshot (backup), loads them into an empty database (restore) and reads a scratch copy back (verify): the whole database, no one's record singled out; never shown to anyone but the provider's encrypted files",
	"hearth/internal/idempotency":     "forms' idempotency keys (an account ID, a random key, a hash of the form, where the first answer pointed; no care record), claimed inside the door's own transaction",
}

// The door.Exceptions each package may use, each with why.
var mayUseException = map[string]map[string]string{
	"hearth/internal/people": {
		"Organisation": "creates and lists the provider and its locations",
		"SearchIndex":  "fills in the folded-name search key of people written before it existed (a derived index column)",
	},
	"hearth/internal/tech": {"Organisation": "lists locations for the technology register form"},
	"hearth/internal/partners": {
		"PartnerSystems": "checks a partner system's signed assertion and issues its token, reads its bearer token, serves the operator at the command line, and runs and delivers its bulk exports (contents decided per person when written)",
	},
	"hearth/internal/portal": {
		"InvitationCode":       "redeems a portal invitation by its code",
		"AccountPreferences":   "reads a portal account's own display settings",
		"NotificationDelivery": "sends queued notices and marks them sent",
	},
}

// storeQueryMethods are the methods of store.DB and store.Tx that run SQL
// or hand out a way to.
var storeQueryMethods = map[string]bool{"Exec": true, "Query": true, "QueryRow": true, "Tx": true, "Write": true, "ReadTx": true, "SQL": true}

func loadModule(t *testing.T) []*packages.Package {
	t.Helper()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:  filepath.Join("..", ".."),
	}
	pkgs, err := packages.Load(cfg, "hearth/...")
	if err != nil {
		t.Fatal(err)
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		t.Fatalf("%d errors loading the module", n)
	}
	if len(pkgs) < 10 {
		t.Fatalf("loaded only %d packages", len(pkgs))
	}
	return pkgs
}

// TestNothingButTheDoorReachesTheStore parses every package of the module
// and fails on any call to the store's query methods outside the packages
// listed above, on any use of a door exception a package is not listed
// for, and on any domain type holding a *store.DB (DESIGN.md invariant 1).
func TestNothingButTheDoorReachesTheStore(t *testing.T) {
	pkgs := loadModule(t)
	seen := map[string]bool{}
	usedExceptions := map[string]map[string]bool{}
	for _, pkg := range pkgs {
		seen[pkg.PkgPath] = true
		_, mayQuery := mayQueryStore[pkg.PkgPath]
		for _, file := range pkg.Syntax {
			name := pkg.Fset.Position(file.Pos()).Filename
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					fn, ok := pkg.TypesInfo.Uses[sel.Sel].(*types.Func)
					if !ok {
						return true
					}
					recv := receiverName(fn)
					switch {
					case (recv == "hearth/internal/store.DB" || recv == "hearth/internal/store.Tx") && storeQueryMethods[fn.Name()] && !mayQuery:
						t.Errorf("%s: %s calls %s.%s: only the door reaches the database (docs/architecture.md, \"The door\")",
							pkg.Fset.Position(n.Pos()), pkg.PkgPath, recv, fn.Name())
					case recv == "hearth/internal/door.Door" && fn.Name() == "Outside" && len(n.Args) >= 2:
						exc := exceptionName(pkg, n.Args[1])
						if usedExceptions[pkg.PkgPath] == nil {
							usedExceptions[pkg.PkgPath] = map[string]bool{}
						}
						usedExceptions[pkg.PkgPath][exc] = true
						if _, ok := mayUseException[pkg.PkgPath][exc]; !ok {
							t.Errorf("%s: %s uses door exception %q without being listed for it", pkg.Fset.Position(n.Pos()), pkg.PkgPath, exc)
						}
					}
				case *ast.Field:
					if mayQuery || pkg.PkgPath == "hearth/internal/app" || strings.HasPrefix(pkg.PkgPath, "hearth/cmd/") {
						return true
					}
					if tv, ok := pkg.TypesInfo.Types[n.Type]; ok && strings.Contains(tv.Type.String(), "hearth/internal/store.DB") {
						t.Errorf("%s: %s holds a *store.DB: domain services reach the database only through the door",
							pkg.Fset.Position(n.Pos()), pkg.PkgPath)
					}
				}
				return true
			})
		}
	}
	for path := range mayQueryStore {
		if !seen[path] {
			t.Errorf("%s is allowed to query the store but is no longer a package: remove it from the list", path)
		}
	}
	for path, excs := range mayUseException {
		for exc := range excs {
			if !usedExceptions[path][exc] {
				t.Errorf("%s is listed for door exception %s but no longer uses it: remove it from the list", path, exc)
			}
		}
	}
}

// TestEveryDoorExceptionIsListed checks that the exceptions the door
// defines are exactly those some package is listed for, so adding one to
// the door means saying here who uses it and why.
func TestEveryDoorExceptionIsListed(t *testing.T) {
	pkgs := loadModule(t)
	var defined []string
	for _, pkg := range pkgs {
		if pkg.PkgPath != "hearth/internal/door" {
			continue
		}
		for _, name := range pkg.Types.Scope().Names() {
			c, ok := pkg.Types.Scope().Lookup(name).(*types.Const)
			if ok && c.Exported() && c.Type().String() == "hearth/internal/door.Exception" {
				defined = append(defined, name)
			}
		}
	}
	listed := map[string]bool{}
	for _, excs := range mayUseException {
		for exc := range excs {
			listed[exc] = true
		}
	}
	sort.Strings(defined)
	if len(defined) == 0 {
		t.Fatal("found no door exceptions: the test no longer sees the door's constants")
	}
	for _, exc := range defined {
		if !listed[exc] {
			t.Errorf("door.%s is defined but no package is listed for it", exc)
		}
	}
}

func receiverName(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Path() + "." + n.Obj().Name()
	}
	return ""
}

func exceptionName(pkg *packages.Package, e ast.Expr) string {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		if c, ok := pkg.TypesInfo.Uses[sel.Sel].(*types.Const); ok {
			return c.Name()
		}
	}
	return "a value the test cannot name: pass a door.Exception constant"
}
