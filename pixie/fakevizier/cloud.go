package fakevizier

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/uuidpb"
	"github.com/pxgate/pxgate/pixie/proto/vispb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// ConnectionToken is the token GetClusterConnectionInfo returns.
const ConnectionToken = "fakevizier-connection-token"

// LibraryScript is one script of the cloud's script library, served by
// ScriptMgr.GetScripts (ID, Name, Desc) and GetScriptContents (Contents).
// A script with a Vis is also a live view: GetLiveViews lists it under the
// same id (as Pixie Cloud does) and GetLiveViewContents serves its source
// with the parsed Vis.
type LibraryScript struct {
	ID       string
	Name     string // e.g. "px/service_let"
	Desc     string
	Contents string // PxL source
	// Vis is the live view's vis.json as Pixie's script bundle holds it
	// (protobuf JSON of px.vispb.Vis; display specs and positions are
	// accepted and dropped); empty for a script without a live view.
	Vis string

	vis *vispb.Vis // parsed by Start
}

func (l LibraryScript) metadata() *cloudpb.ScriptMetadata {
	return &cloudpb.ScriptMetadata{Id: l.ID, Name: l.Name, Desc: l.Desc, HasLiveView: l.vis != nil}
}

// parseVis parses every script's Vis; a fixture that does not parse is
// an error of Start rather than a silently missing live view.
func parseVis(scripts []LibraryScript) error {
	for i := range scripts {
		if scripts[i].Vis == "" {
			continue
		}
		v := &vispb.Vis{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(scripts[i].Vis), v); err != nil {
			return fmt.Errorf("fakevizier: library script %s: vis: %w", scripts[i].Name, err)
		}
		scripts[i].vis = v
	}
	return nil
}

// clusterInfoService implements px.cloudapi.VizierClusterInfo.
type clusterInfoService struct {
	cloudpb.UnimplementedVizierClusterInfoServer
	s *Server
}

// GetClusterInfo lists every cluster for a request without id, or the one
// with that id (NotFound otherwise).
func (c *clusterInfoService) GetClusterInfo(_ context.Context, req *cloudpb.GetClusterInfoRequest) (*cloudpb.GetClusterInfoResponse, error) {
	if req.GetId() == nil {
		return &cloudpb.GetClusterInfoResponse{Clusters: cloneAll(c.s.opts.Clusters)}, nil
	}
	ci, err := c.s.findCluster(req.GetId())
	if err != nil {
		return nil, err
	}
	return &cloudpb.GetClusterInfoResponse{Clusters: []*cloudpb.ClusterInfo{ci}}, nil
}

// GetClusterConnectionInfo returns ConnectionToken for a listed cluster.
func (c *clusterInfoService) GetClusterConnectionInfo(_ context.Context, req *cloudpb.GetClusterConnectionInfoRequest) (*cloudpb.GetClusterConnectionInfoResponse, error) {
	if _, err := c.s.findCluster(req.GetId()); err != nil {
		return nil, err
	}
	return &cloudpb.GetClusterConnectionInfoResponse{Token: ConnectionToken}, nil
}

func (s *Server) findCluster(id *uuidpb.UUID) (*cloudpb.ClusterInfo, error) {
	for _, ci := range s.opts.Clusters {
		if ci.GetId().GetHighBits() == id.GetHighBits() && ci.GetId().GetLowBits() == id.GetLowBits() {
			return proto.Clone(ci).(*cloudpb.ClusterInfo), nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "cluster %s not found", vizier.FormatUUID(id))
}

// scriptMgrService implements px.cloudapi.ScriptMgr.
type scriptMgrService struct {
	cloudpb.UnimplementedScriptMgrServer
	s *Server
}

// GetLiveViews lists the scripts of Options.Scripts that have a Vis.
func (m *scriptMgrService) GetLiveViews(ctx context.Context, _ *cloudpb.GetLiveViewsReq) (*cloudpb.GetLiveViewsResp, error) {
	if m.s.libraryHang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	resp := &cloudpb.GetLiveViewsResp{}
	for _, l := range m.s.opts.Scripts {
		if l.vis != nil {
			resp.LiveViews = append(resp.LiveViews, &cloudpb.LiveViewMetadata{Id: l.ID, Name: l.Name, Desc: l.Desc})
		}
	}
	return resp, nil
}

// GetLiveViewContents returns one live view of Options.Scripts by id:
// its source and its vis specification.
func (m *scriptMgrService) GetLiveViewContents(ctx context.Context, req *cloudpb.GetLiveViewContentsReq) (*cloudpb.GetLiveViewContentsResp, error) {
	if m.s.libraryHang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for _, l := range m.s.opts.Scripts {
		if l.ID == req.GetLiveViewId() && l.vis != nil {
			return &cloudpb.GetLiveViewContentsResp{
				Metadata:    &cloudpb.LiveViewMetadata{Id: l.ID, Name: l.Name, Desc: l.Desc},
				PxlContents: l.Contents,
				Vis:         proto.Clone(l.vis).(*vispb.Vis),
			}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "live view %q not found", req.GetLiveViewId())
}

// GetScripts lists Options.Scripts.
func (m *scriptMgrService) GetScripts(ctx context.Context, _ *cloudpb.GetScriptsReq) (*cloudpb.GetScriptsResp, error) {
	if m.s.libraryHang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	resp := &cloudpb.GetScriptsResp{}
	for _, l := range m.s.opts.Scripts {
		resp.Scripts = append(resp.Scripts, l.metadata())
	}
	return resp, nil
}

// GetScriptContents returns one script of Options.Scripts by id.
func (m *scriptMgrService) GetScriptContents(ctx context.Context, req *cloudpb.GetScriptContentsReq) (*cloudpb.GetScriptContentsResp, error) {
	if m.s.libraryHang.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for _, l := range m.s.opts.Scripts {
		if l.ID == req.GetScriptId() {
			return &cloudpb.GetScriptContentsResp{Metadata: l.metadata(), Contents: l.Contents}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "script %q not found", req.GetScriptId())
}

// MustClusterInfo returns a ClusterInfo for Options.Clusters with the given
// dashed UUID, name (also the pretty name) and status. It panics when id is
// not a UUID, so use it for fixed test fixtures only.
func MustClusterInfo(id, name string, st cloudpb.ClusterStatus) *cloudpb.ClusterInfo {
	u, err := vizier.ParseUUID(id)
	if err != nil {
		panic(err)
	}
	return &cloudpb.ClusterInfo{
		Id:                u,
		Status:            st,
		ClusterName:       name,
		PrettyClusterName: name,
		VizierVersion:     "0.0.0-fakevizier",
		Config:            &cloudpb.VizierConfig{PassthroughEnabled: true},
	}
}
