package vizier

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pxgate/pxgate/pixie/proto/uuidpb"
)

// FormatUUID renders a cloud API UUID in the dashed form the Vizier API uses.
func FormatUUID(u *uuidpb.UUID) string {
	if u == nil {
		return ""
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.GetHighBits())
	binary.BigEndian.PutUint64(b[8:], u.GetLowBits())
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ParseUUID parses a dashed UUID string into the cloud API form.
func ParseUUID(s string) (*uuidpb.UUID, error) {
	h := strings.ReplaceAll(s, "-", "")
	if len(s) != 36 || len(h) != 32 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil, fmt.Errorf("%q is not a UUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%q is not a UUID: %w", s, err)
	}
	return &uuidpb.UUID{HighBits: binary.BigEndian.Uint64(b[:8]), LowBits: binary.BigEndian.Uint64(b[8:])}, nil
}
