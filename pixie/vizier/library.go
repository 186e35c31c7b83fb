package vizier

import (
	"context"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/vispb"
)

// LibraryScripts lists Pixie Cloud's script library (cloud mode only),
// with the id of each script's live view, if it has one.
func (c *Client) LibraryScripts(ctx context.Context) ([]pixie.LibraryScript, error) {
	if err := c.libraryMode(); err != nil {
		return nil, err
	}
	resp, err := c.scripts.GetScripts(ctx, &cloudpb.GetScriptsReq{})
	if err != nil {
		return nil, fromRPC(ctx, "list library scripts", err)
	}
	var views map[string]string // name -> live view id
	out := make([]pixie.LibraryScript, 0, len(resp.GetScripts()))
	for _, s := range resp.GetScripts() {
		ls := pixie.LibraryScript{ID: s.GetId(), Name: s.GetName(), Description: s.GetDesc()}
		if s.GetHasLiveView() {
			if views == nil {
				if views, err = c.liveViews(ctx); err != nil {
					return nil, err
				}
			}
			ls.LiveViewID = views[s.GetName()]
		}
		out = append(out, ls)
	}
	return out, nil
}

// liveViews maps the cloud's live view names to their ids.
func (c *Client) liveViews(ctx context.Context) (map[string]string, error) {
	resp, err := c.scripts.GetLiveViews(ctx, &cloudpb.GetLiveViewsReq{})
	if err != nil {
		return nil, fromRPC(ctx, "list library live views", err)
	}
	out := make(map[string]string, len(resp.GetLiveViews()))
	for _, v := range resp.GetLiveViews() {
		out[v.GetName()] = v.GetId()
	}
	return out, nil
}

// LibraryScriptSource returns the PxL source of one library script.
func (c *Client) LibraryScriptSource(ctx context.Context, id string) (string, error) {
	if err := c.libraryMode(); err != nil {
		return "", err
	}
	resp, err := c.scripts.GetScriptContents(ctx, &cloudpb.GetScriptContentsReq{ScriptId: id})
	if err != nil {
		return "", fromRPC(ctx, "fetch library script", err)
	}
	return resp.GetContents(), nil
}

// LibraryLiveView returns one live view of the library (by its live view
// id): its PxL source, variables and function calls.
func (c *Client) LibraryLiveView(ctx context.Context, id string) (*pixie.LiveView, error) {
	if err := c.libraryMode(); err != nil {
		return nil, err
	}
	resp, err := c.scripts.GetLiveViewContents(ctx, &cloudpb.GetLiveViewContentsReq{LiveViewId: id})
	if err != nil {
		return nil, fromRPC(ctx, "fetch library live view", err)
	}
	return liveView(resp), nil
}

func (c *Client) libraryMode() error {
	if c.cfg.Direct() {
		return errorf(pixie.KindUnsupported, nil, "the script library is served by Pixie Cloud; a direct Vizier connection has none")
	}
	return nil
}

// liveView converts a live view's contents to pixie's vocabulary.
func liveView(resp *cloudpb.GetLiveViewContentsResp) *pixie.LiveView {
	lv := &pixie.LiveView{Source: resp.GetPxlContents()}
	vis := resp.GetVis()
	for _, v := range vis.GetVariables() {
		vv := pixie.ViewVariable{Name: v.GetName(), Type: viewType(v.GetType()), Description: v.GetDescription(), ValidValues: v.GetValidValues()}
		if d := v.GetDefaultValue(); d != nil {
			def := d.GetValue()
			vv.Default = &def
		}
		lv.Variables = append(lv.Variables, vv)
	}
	for _, g := range vis.GetGlobalFuncs() {
		lv.Calls = appendCall(lv.Calls, g.GetFunc())
	}
	for _, w := range vis.GetWidgets() {
		lv.Calls = appendCall(lv.Calls, w.GetFunc())
	}
	return lv
}

func appendCall(calls []pixie.ViewCall, f *vispb.Widget_Func) []pixie.ViewCall {
	if f.GetName() == "" { // a widget that shows a shared call's output
		return calls
	}
	call := pixie.ViewCall{Func: f.GetName()}
	for _, a := range f.GetArgs() {
		call.Args = append(call.Args, pixie.ViewArg{Name: a.GetName(), Value: a.GetValue(), Variable: a.GetVariable()})
	}
	return append(calls, call)
}

// viewType maps a view variable's type to the PxL annotation it stands for.
func viewType(t vispb.PXType) string {
	switch t {
	case vispb.PXType_PX_BOOLEAN:
		return "bool"
	case vispb.PXType_PX_INT64:
		return "int"
	case vispb.PXType_PX_FLOAT64:
		return "float"
	case vispb.PXType_PX_STRING:
		return "str"
	case vispb.PXType_PX_SERVICE:
		return "px.Service"
	case vispb.PXType_PX_POD:
		return "px.Pod"
	case vispb.PXType_PX_CONTAINER:
		return "px.Container"
	case vispb.PXType_PX_NAMESPACE:
		return "px.Namespace"
	case vispb.PXType_PX_NODE:
		return "px.Node"
	case vispb.PXType_PX_LIST, vispb.PXType_PX_STRING_LIST:
		return "list"
	}
	return ""
}
