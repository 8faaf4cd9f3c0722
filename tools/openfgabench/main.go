// Command openfgabench measures access.Decide beside an embedded OpenFGA
// Check on the same care-team facts, in one process and one run, and
// prints both as JSON for `hearth bench --decisions` to put in
// docs/benchmarks.md.
//
// It is a module of its own so that OpenFGA's dependency tree (gRPC,
// protobuf, OpenTelemetry and more: some 150 modules) stays out of Hearth's
// go.mod and Hearth's binary. Run it from this directory:
//
//	go run . > ../../docs/bench/decisions.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
	"github.com/openfga/language/pkg/go/transformer"
	"github.com/openfga/openfga/pkg/server"
	"github.com/openfga/openfga/pkg/storage/memory"

	"hearth/internal/access"
)

// The same rule both ways: a care worker on a person's care team may read
// their care record.
const model = `model
  schema 1.1
type user
type person
  relations
    define care_team: [user]
    define can_read_record: care_team`

type result struct {
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
	N           int     `json:"n"`
}

type report struct {
	Go       string   `json:"go"`
	OpenFGA  string   `json:"openfga"`
	Results  []result `json:"results"`
	Speedup  float64  `json:"speedup"` // OpenFGA's time per check over Decide's
	Measured string   `json:"measured"`
}

func main() {
	ctx := context.Background()
	ds := memory.New()
	defer ds.Close()
	srv := server.MustNewServerWithOpts(server.WithDatastore(ds))
	defer srv.Close()
	st, err := srv.CreateStore(ctx, &openfgav1.CreateStoreRequest{Name: "hearth"})
	check(err)
	m := transformer.MustTransformDSLToProto(model)
	am, err := srv.WriteAuthorizationModel(ctx, &openfgav1.WriteAuthorizationModelRequest{StoreId: st.GetId(),
		TypeDefinitions: m.GetTypeDefinitions(), SchemaVersion: m.GetSchemaVersion()})
	check(err)
	// A care worker on one person's team among many: 100 people, each with
	// four carers.
	var tuples []*openfgav1.TupleKey
	for p := range 100 {
		for c := range 4 {
			tuples = append(tuples, &openfgav1.TupleKey{User: fmt.Sprintf("user:carer%d", (p+c)%40), Relation: "care_team", Object: fmt.Sprintf("person:p%d", p)})
		}
	}
	for start := 0; start < len(tuples); start += 100 { // OpenFGA takes at most 100 writes a request
		_, err = srv.Write(ctx, &openfgav1.WriteRequest{StoreId: st.GetId(), AuthorizationModelId: am.GetAuthorizationModelId(),
			Writes: &openfgav1.WriteRequestWrites{TupleKeys: tuples[start:min(start+100, len(tuples))]}})
		check(err)
	}
	req := &openfgav1.CheckRequest{StoreId: st.GetId(), AuthorizationModelId: am.GetAuthorizationModelId(),
		TupleKey: &openfgav1.CheckRequestTupleKey{User: "user:carer7", Relation: "can_read_record", Object: "person:p7"}}
	resp, err := srv.Check(ctx, req)
	check(err)
	if !resp.GetAllowed() {
		check(fmt.Errorf("openfga denied a care-team read"))
	}

	sub := access.Subject{ID: "carer7", Kind: access.KindStaff, Role: access.CareWorker}
	res := access.Resource{PersonID: "p7", Facts: access.Facts{Now: time.Now(), Exists: true, CareTeam: true}}
	if !access.Decide(sub, access.ReadRecord, res, access.DirectCare).Permit {
		check(fmt.Errorf("access.Decide denied a care-team read"))
	}

	// OpenFGA caches check results when asked to; it is not here (the
	// default), as Hearth's decision is made afresh on every request.
	decide := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !access.Decide(sub, access.ReadRecord, res, access.DirectCare).Permit {
				b.Fatal("denied")
			}
		}
	})
	fga := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := srv.Check(ctx, req)
			if err != nil || !r.GetAllowed() {
				b.Fatal("denied", err)
			}
		}
	})
	out := report{Go: runtime.Version(), OpenFGA: "v1.22.1 (embedded, memory datastore)", Measured: time.Now().UTC().Format(time.RFC3339)}
	for _, r := range []struct {
		name string
		b    testing.BenchmarkResult
	}{{"access.Decide (care team, permit)", decide}, {"OpenFGA Check (care team, permit)", fga}} {
		out.Results = append(out.Results, result{Name: r.name, NsPerOp: float64(r.b.NsPerOp()), AllocsPerOp: r.b.AllocsPerOp(),
			BytesPerOp: r.b.AllocedBytesPerOp(), N: r.b.N})
	}
	if d := out.Results[0].NsPerOp; d > 0 {
		out.Speedup = out.Results[1].NsPerOp / d
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	check(enc.Encode(out))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "openfgabench:", err)
		os.Exit(1)
	}
}
