package vizier_test

import (
	"testing"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// pixie's own column types must carry the wire enums' numbers and names:
// the client converts by casting, and answers print the names.
func TestPixieTypesMatchTheWire(t *testing.T) {
	for num, name := range vizierpb.DataType_name {
		if got := pixie.DataType(num).String(); got != name {
			t.Errorf("DataType %d: pixie says %q, the wire %q", num, got, name)
		}
	}
	for num, name := range vizierpb.SemanticType_name {
		if got := pixie.SemanticType(num).String(); got != name {
			t.Errorf("SemanticType %d: pixie says %q, the wire %q", num, got, name)
		}
	}
	// A value a newer Vizier may send prints as its number, as protobuf does.
	if got, want := pixie.SemanticType(4242).String(), vizierpb.SemanticType(4242).String(); got != want {
		t.Errorf("unknown semantic type: %q, protobuf says %q", got, want)
	}
	if got, want := pixie.DataType(99).String(), vizierpb.DataType(99).String(); got != want {
		t.Errorf("unknown data type: %q, protobuf says %q", got, want)
	}
}
