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
}

// Catalog is the set of named scripts. It is safe for concurrent use.
type Catalog struct {
	local map[string]*Script // embedded, overridden by user scripts

	lib     Library
	libTTL  time.Duration
	libWait time.Duration
	mu      sync.Mutex
	libAt   time.Time
	libIDs  map[string]pixie.LibraryScript // name -> entry
	libSrc  map[string]*Script             // name -> parsed script (fetched lazily)
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
		s := newScript(name, origin, string(src), sc)
		if s.Error != "" {
			*problems = append(*problems, fmt.Errorf("script %s (%s): %s", name, origin, s.Error))
		}
		c.local[name] = s
		return nil
	})
}

// List returns every script, sorted by name: local ones, then Pixie's
// library (names only until a script is fetched). A library that cannot
// be listed is reported as libErr; the local scripts are still returned.
func (c *Catalog) List(ctx context.Context) (list []*Script, libErr error) {
	for _, s := range c.local {
		list = append(list, s)
	}
	if c.lib != nil {
		entries, err := c.libraryEntries(ctx)
		libErr = err
		c.mu.Lock()
		for _, e := range entries {
			if s := c.libSrc[e.Name]; s != nil {
				list = append(list, s)
			} else {
				list = append(list, &Script{Name: e.Name, Description: e.Description, Origin: OriginPixie, Params: []Param{}})
			}
		}
		c.mu.Unlock()
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, libErr
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
	c.mu.Lock()
	s := c.libSrc[name]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	entries, err := c.libraryEntries(ctx)
	if err != nil {
		return nil, err
	}
	var entry *pixie.LibraryScript
	for i := range entries {
		if entries[i].Name == name {
			entry = &entries[i]
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	ctx, cancel := context.WithTimeout(ctx, c.libWait)
	defer cancel()
	src, err := c.lib.LibraryScriptSource(ctx, entry.ID)
	if err != nil {
		return nil, err
	}
	s = newScript(name, OriginPixie, src, nil)
	if s.Description == "" {
		s.Description = entry.Description
	}
	c.mu.Lock()
	c.libSrc[name] = s
	c.mu.Unlock()
	return s, nil
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
		c.libSrc = map[string]*Script{}
	}
	c.mu.Unlock()
	return entries, nil
}
