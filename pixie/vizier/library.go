package vizier

import (
	"context"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
)

// LibraryScripts lists Pixie Cloud's script library (cloud mode only).
func (c *Client) LibraryScripts(ctx context.Context) ([]pixie.LibraryScript, error) {
	if c.cfg.Direct() {
		return nil, errorf(pixie.KindUnsupported, nil, "the script library is served by Pixie Cloud; a direct Vizier connection has none")
	}
	resp, err := c.scripts.GetScripts(ctx, &cloudpb.GetScriptsReq{})
	if err != nil {
		return nil, fromRPC(ctx, "list library scripts", err)
	}
	out := make([]pixie.LibraryScript, 0, len(resp.GetScripts()))
	for _, s := range resp.GetScripts() {
		out = append(out, pixie.LibraryScript{ID: s.GetId(), Name: s.GetName(), Description: s.GetDesc()})
	}
	return out, nil
}

// LibraryScriptSource returns the PxL source of one library script.
func (c *Client) LibraryScriptSource(ctx context.Context, id string) (string, error) {
	if c.cfg.Direct() {
		return "", errorf(pixie.KindUnsupported, nil, "the script library is served by Pixie Cloud; a direct Vizier connection has none")
	}
	resp, err := c.scripts.GetScriptContents(ctx, &cloudpb.GetScriptContentsReq{ScriptId: id})
	if err != nil {
		return "", fromRPC(ctx, "fetch library script", err)
	}
	return resp.GetContents(), nil
}
