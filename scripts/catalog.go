package scripts

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pxgate/pxgate/pixie"
)

//go:embed embedded
var embedded embed.FS

// ErrNotFound is returned for a name that is not in the catalog.
var ErrNotFound = errors.New("no such script")

// Library is Pixie Cloud's script library (px.cloudapi.ScriptMgr), as
// *vizier.Client offers it in cloud mode.
type Library interface {
	LibraryScripts(ctx context.Context) ([]pixie.LibraryScript, error)
	LibraryScriptSource(ctx context.Context, id string) (string, error)
	LibraryLiveView(ctx context.Context, id string) (*pixie.LiveView, error)
}

// libraryFetchers is how many library scripts a listing fetches at once.
const libraryFetchers = 8

// Catalog is the set of named scripts. It is safe for concurrent use.
type Catalog struct {
	local map[string]*Script // embedded, overridden by user scripts

	lib     Library
	libTTL  time.Duration
	libWait time.Duration
	mu      sync.Mutex
	libAt   time.Time
	libIDs  map[string]pixie.LibraryScript // name -> entry
	libSrc  map[string]libScript           // name -> parsed script (fetched lazily)
}

// libScript is a fetched library script, with the library id it was
// fetched under (a new id under the same name is fetched again).
type libScript struct {
	id string
	s  *Script
}

// Options configure Load.
type Options struct {
	// Dir is the user script directory (PXGATE_SCRIPTS_DIR); empty for none.
	Dir string
	// Library is Pixie Cloud's library, or nil (direct and demo modes).
	Library Library
	// LibraryTTL is how long the library's list is cached (default 5m).
	LibraryTTL time.Duration
	// LibraryTimeout bounds each call to the library (default 10s): a
	// request naming a script must not hang on an unresponsive cloud.
	LibraryTimeout time.Duration
}

// Load builds the catalog: the embedded scripts, then the user directory's
// `*.pxl` files (with optional `<name>.json` sidecars), which override
// embedded scripts of the same name. Broken scripts are kept, with Error
// set, and also returned as problems for the start-up log; an unreadable
// directory is an error.
func Load(opts Options) (*Catalog, []error, error) {
	c := &Catalog{local: map[string]*Script{}, lib: opts.Library, libTTL: opts.LibraryTTL, libWait: opts.LibraryTimeout}
	if c.libTTL <= 0 {
		c.libTTL = 5 * time.Minute
	}
	if c.libWait <= 0 {
		c.libWait = 10 * time.Second
	}
	sub, err := fs.Sub(embedded, "embedded")
	if err != nil {
		return nil, nil, err
	}
	var problems []error
	if err := c.loadDir(sub, OriginEmbedded, &problems); err != nil {
		return nil, nil, fmt.Errorf("embedded scripts: %w", err)
	}
	if opts.Dir != "" {
		st, err := os.Stat(opts.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("PXGATE_SCRIPTS_DIR: %w", err)
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("PXGATE_SCRIPTS_DIR: %s is not a directory", opts.Dir)
		}
		if err := c.loadDir(os.DirFS(opts.Dir), OriginUser, &problems); err != nil {
			return nil, nil, fmt.Errorf("PXGATE_SCRIPTS_DIR %s: %w", opts.Dir, err)
		}
	}
	return c, problems, nil
}

// loadDir reads *.pxl files of fsys, recursively: `team/let.pxl` is named
// `team/let`. Kubernetes ConfigMap mounts hide files behind `..data`
// symlinked directories, whose dot-names are skipped.
func (c *Catalog) loadDir(fsys fs.FS, origin string, problems *[]error) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if p != "." && strings.HasPrefix(base, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(base, ".pxl") {
			return nil
		}
		name := strings.TrimSuffix(p, ".pxl")
		if strings.HasPrefix(name, "px/") {
			*problems = append(*problems, fmt.Errorf("script %s (%s): names under px/ belong to Pixie's library; skipped", name, origin))
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		var sc *sidecar
		if b, err := fs.ReadFile(fsys, name+".json"); err == nil {
			if sc, err = parseSidecar(b); err != nil {
				s := &Script{Name: name, Origin: origin, Source: string(src), Params: []Param{}, Error: err.Error()}
				c.local[name] = s
				*problems = append(*problems, fmt.Errorf("script %s (%s): %s", name, origin, s.Error))
				return nil
			}
		}
		s := newScript(name, origin, string(src), sc, nil)
		if s.Error != "" {
			*problems = append(*problems, fmt.Errorf("script %s (%s): %s", name, origin, s.Error))
		}
		c.local[name] = s
		return nil
	})
}

// List returns every script, sorted by name: local ones, then Pixie's
// library, each with its functions and parameters (fetched and cached as
// a run by name would). A library that cannot be listed, or a library
// script that cannot be fetched (then listed with Pending set), is
// reported as libErr; the other scripts are still returned.
func (c *Catalog) List(ctx context.Context) (list []*Script, libErr error) {
	for _, s := range c.local {
		list = append(list, s)
	}
	if c.lib != nil {
		lib, err := c.libraryList(ctx)
		list, libErr = append(list, lib...), err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, libErr
}

// libraryList returns the library's scripts, fetching those not cached
// yet a few at a time within one LibraryTimeout.
func (c *Catalog) libraryList(ctx context.Context) ([]*Script, error) {
	entries, err := c.libraryEntries(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.libWait)
	defer cancel()
	out := make([]*Script, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, libraryFetchers)
	var wg sync.WaitGroup
	for i, e := range entries {
		if out[i] = c.cached(e); out[i] != nil {
			continue
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				out[i], errs[i] = c.fetch(ctx, e)
			case <-ctx.Done():
				errs[i] = waitError(ctx)
			}
		})
	}
	wg.Wait()
	var first error
	for i, e := range entries {
		if errs[i] == nil {
			continue
		}
		out[i] = libraryStub(e, "its functions and parameters are not known yet: "+errs[i].Error())
		if first == nil {
			first = fmt.Errorf("library script %s: %w", e.Name, errs[i])
		}
	}
	return out, first
}

// waitError is the error of a fetch that never got its turn.
func waitError(ctx context.Context) error {
	kind := pixie.KindTimeout
	if errors.Is(ctx.Err(), context.Canceled) {
		kind = pixie.KindCanceled
	}
	return &pixie.Error{Kind: kind, Message: "Pixie's script library did not answer in time", Err: ctx.Err()}
}

// Get returns the named script; Pixie's library scripts are fetched on first
// use and cached. It returns ErrNotFound (wrapped) for unknown names.
func (c *Catalog) Get(ctx context.Context, name string) (*Script, error) {
	if s, ok := c.local[name]; ok {
		return s, nil
	}
	if c.lib == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	entries, err := c.libraryEntries(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name != name {
			continue
		}
		if s := c.cached(e); s != nil {
			return s, nil
		}
		ctx, cancel := context.WithTimeout(ctx, c.libWait)
		defer cancel()
		return c.fetch(ctx, e)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
}

// cached returns library script e when it has been fetched under its id.
func (c *Catalog) cached(e pixie.LibraryScript) *Script {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ls, ok := c.libSrc[e.Name]; ok && ls.id == e.ID {
		return ls.s
	}
	return nil
}

// fetch reads library script e (its live view when it has one: the
// source and the calls its widgets make) and caches it.
func (c *Catalog) fetch(ctx context.Context, e pixie.LibraryScript) (*Script, error) {
	var (
		view *pixie.LiveView
		src  string
		err  error
	)
	if e.LiveViewID != "" {
		if view, err = c.lib.LibraryLiveView(ctx, e.LiveViewID); err == nil {
			src = view.Source
		}
	} else {
		src, err = c.lib.LibraryScriptSource(ctx, e.ID)
	}
	if err != nil {
		return nil, err
	}
	s := newScript(e.Name, OriginPixie, src, nil, view)
	// The listing says the same before and after a fetch: the library's
	// own description, never the docstring.
	s.Title, s.Description = libraryText(e)
	c.mu.Lock()
	c.libSrc[e.Name] = libScript{id: e.ID, s: s}
	c.mu.Unlock()
	return s, nil
}

// libraryStub is library script e as listed before it is fetched.
func libraryStub(e pixie.LibraryScript, pending string) *Script {
	title, desc := libraryText(e)
	return &Script{Name: e.Name, Title: title, Description: desc, Origin: OriginPixie,
		Params: []Param{}, Functions: []Function{}, Pending: pending}
}

// libraryText is library script e's title and description, from the
// library's own description: its first sentence, and all of it on one line.
func libraryText(e pixie.LibraryScript) (title, desc string) {
	desc = strings.Join(strings.Fields(e.Description), " ")
	title, _, _ = strings.Cut(desc, ". ")
	return strings.TrimSuffix(title, "."), desc
}

func (c *Catalog) libraryEntries(ctx context.Context) ([]pixie.LibraryScript, error) {
	c.mu.Lock()
	if c.libIDs != nil && time.Since(c.libAt) < c.libTTL {
		out := make([]pixie.LibraryScript, 0, len(c.libIDs))
		for _, e := range c.libIDs {
			out = append(out, e)
		}
		c.mu.Unlock()
		return out, nil
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.libWait)
	defer cancel()
	entries, err := c.lib.LibraryScripts(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]pixie.LibraryScript, len(entries))
	for _, e := range entries {
		ids[e.Name] = e
	}
	c.mu.Lock()
	c.libIDs, c.libAt = ids, time.Now()
	if c.libSrc == nil {
		c.libSrc = map[string]libScript{}
	}
	c.mu.Unlock()
	return entries, nil
}
