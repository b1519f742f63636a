package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// NotGoneError lists the objects of a folder that were still there after it was deleted.
type NotGoneError struct {
	Folder string
	Keys   []string
}

func (e *NotGoneError) Error() string {
	keys := e.Keys
	more := ""
	if len(keys) > 5 {
		keys, more = keys[:5], fmt.Sprintf(" and %d more", len(e.Keys)-5)
	}
	return fmt.Sprintf("%s: %v: %s%s", e.Folder, ErrNotGone, strings.Join(keys, ", "), more)
}

func (e *NotGoneError) Is(target error) bool { return target == ErrNotGone }

// RemoveFolder deletes the folder and returns only once it has checked that it is gone.
// Listings can silently miss keys (RustFS listing bugs: rustfs/rustfs #5051, #2905, #3217,
// #2439), so the keys the caller knows of (its record of what it uploaded) are deleted by
// name too; afterwards the folder must list empty and every known key must answer "not
// found". Known keys outside the folder are ignored: a record is not trusted to point the
// deletion anywhere else. n counts the objects the listing found and deleted.
func RemoveFolder(ctx context.Context, st Store, folder string, known []string) (n int, err error) {
	folder, err = validatePrefix(folder, false)
	if err != nil {
		return 0, fmt.Errorf("remove folder: %w", err)
	}
	inside := make([]string, 0, len(known))
	for _, k := range known {
		if strings.HasPrefix(k, folder+"/") && ValidateKey(k) == nil {
			inside = append(inside, k)
		}
	}
	if n, err = st.DeletePrefix(ctx, folder); err != nil {
		return n, err
	}
	for _, k := range inside {
		if err := st.Delete(ctx, k); err != nil {
			return n, err
		}
	}
	left, err := st.List(ctx, folder)
	if err != nil {
		return n, fmt.Errorf("check that %s is gone: %w", folder, err)
	}
	var still []string
	for _, o := range left {
		still = append(still, o.Key)
	}
	for _, k := range inside {
		_, err := st.Stat(ctx, k)
		switch {
		case err == nil:
			if !slices.Contains(still, k) {
				still = append(still, k)
			}
		case !errors.Is(err, ErrNotFound):
			return n, fmt.Errorf("check that %s is gone: %w", k, err)
		}
	}
	if len(still) > 0 {
		return n, &NotGoneError{Folder: folder, Keys: still}
	}
	return n, nil
}
