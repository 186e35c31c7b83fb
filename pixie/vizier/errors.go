package vizier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie"
)

func errorf(kind pixie.Kind, cause error, format string, args ...any) *pixie.Error {
	return &pixie.Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

// fromRPC turns an error from a gRPC call into an *Error. ctx is the call's
// context: its state decides between timeout and cancellation, because
// gRPC reports both as DeadlineExceeded/Canceled only when it noticed first.
func fromRPC(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errorf(pixie.KindTimeout, err, "%s: no answer before the deadline", what)
	case errors.Is(ctx.Err(), context.Canceled):
		return errorf(pixie.KindCanceled, err, "%s: canceled", what)
	}
	st, ok := status.FromError(err)
	if !ok {
		return errorf(pixie.KindUnavailable, err, "%s: %v", what, err)
	}
	msg := fmt.Sprintf("%s: %s", what, st.Message())
	switch st.Code() {
	case codes.Unavailable:
		return errorf(pixie.KindUnavailable, err, "%s", msg)
	case codes.DeadlineExceeded:
		return errorf(pixie.KindTimeout, err, "%s", msg)
	case codes.Canceled:
		// Our context is live (checked above), so the server ended the
		// call itself: a failure, not a caller that went away.
		return errorf(pixie.KindExecution, err, "%s (the server canceled the call)", msg)
	case codes.Unauthenticated, codes.PermissionDenied:
		return errorf(pixie.KindUnauthenticated, err, "%s", msg)
	case codes.Internal:
		// Pixie Cloud reports a bad API key as Internal "Auth middleware failed".
		if strings.Contains(strings.ToLower(st.Message()), "auth") {
			return errorf(pixie.KindUnauthenticated, err, "%s", msg)
		}
		return errorf(pixie.KindExecution, err, "%s", msg)
	case codes.InvalidArgument:
		return errorf(pixie.KindInvalidArgument, err, "%s", msg)
	case codes.NotFound:
		return errorf(pixie.KindNotFound, err, "%s", msg)
	case codes.Unimplemented:
		return errorf(pixie.KindUnsupported, err, "%s", msg)
	case codes.ResourceExhausted:
		// Typically a result batch above the receive limit.
		return errorf(pixie.KindExecution, err, "%s (a result message exceeded the receive limit: raise PIXIE_MAX_RECV_MIB or return fewer rows)", msg)
	default:
		return errorf(pixie.KindExecution, err, "%s (%s)", msg, st.Code())
	}
}
