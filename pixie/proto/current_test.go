package pixieproto_test

import (
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/uuidpb"
	"github.com/pxgate/pxgate/pixie/proto/vispb"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// TestGeneratedCodeIsCurrent compiles the .proto sources with a pure-Go
// compiler and compares each file's descriptor with the one embedded in the
// committed generated code, so an edit to a .proto without running gen.sh
// fails `go test ./...` on any machine (gen.sh -check in CI also diffs the
// Go text itself).
func TestGeneratedCodeIsCurrent(t *testing.T) {
	t.Parallel()
	generated := map[string]protoreflect.FileDescriptor{
		"vizierpb/vizierapi.proto": vizierpb.File_vizierpb_vizierapi_proto,
		"cloudpb/cloudapi.proto":   cloudpb.File_cloudpb_cloudapi_proto,
		"uuidpb/uuid.proto":        uuidpb.File_uuidpb_uuid_proto,
		"vispb/vis.proto":          vispb.File_vispb_vis_proto,
	}
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{"."}}),
	}
	for name, gen := range generated {
		files, err := compiler.Compile(t.Context(), name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		want := protodesc.ToFileDescriptorProto(files[0])
		want.SourceCodeInfo = nil
		got := protodesc.ToFileDescriptorProto(gen)
		got.SourceCodeInfo = nil
		if !proto.Equal(got, want) {
			t.Errorf("%s: generated Go code is stale; run pixie/proto/gen.sh", name)
		}
	}
}

// TestWireNames pins the fully qualified names real Pixie uses: a typo here
// would silently break compatibility with real Viziers.
func TestWireNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{vizierpb.VizierService_ExecuteScript_FullMethodName, "/px.api.vizierpb.VizierService/ExecuteScript"},
		{vizierpb.VizierService_HealthCheck_FullMethodName, "/px.api.vizierpb.VizierService/HealthCheck"},
		{cloudpb.VizierClusterInfo_GetClusterInfo_FullMethodName, "/px.cloudapi.VizierClusterInfo/GetClusterInfo"},
		{cloudpb.ScriptMgr_GetScripts_FullMethodName, "/px.cloudapi.ScriptMgr/GetScripts"},
		{cloudpb.ScriptMgr_GetScriptContents_FullMethodName, "/px.cloudapi.ScriptMgr/GetScriptContents"},
		{cloudpb.ScriptMgr_GetLiveViews_FullMethodName, "/px.cloudapi.ScriptMgr/GetLiveViews"},
		{cloudpb.ScriptMgr_GetLiveViewContents_FullMethodName, "/px.cloudapi.ScriptMgr/GetLiveViewContents"},
		{string((&vispb.Vis{}).ProtoReflect().Descriptor().FullName()), "px.vispb.Vis"},
		{string((&vispb.Widget_Func_FuncArg{}).ProtoReflect().Descriptor().FullName()), "px.vispb.Widget.Func.FuncArg"},
		{string((&uuidpb.UUID{}).ProtoReflect().Descriptor().FullName()), "px.uuidpb.UUID"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
