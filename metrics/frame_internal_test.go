package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kefu-dev/kefu/dispatch"
)

// A snapshot written before the recorder used dispatch.Frame (the scene
// of TestSnapshot_Scene, saved then) restores, and snapshots again to the
// same bytes: the framing did not change.
func TestSnapshot_WrittenBeforeDispatchFrame(t *testing.T) {
	old, err := os.ReadFile("testdata/scene-v1.snapshot")
	require.NoError(t, err)
	r, err := Restore(china, old)
	require.NoError(t, err)
	again, err := r.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, string(old), string(again))

	_, body, _ := bytes.Cut(old, []byte("\n"))
	assert.Equal(t, old, dispatch.Frame(snapshotMagic, SnapshotVersion, body))
}

// oldSnapshotBody is snapshotBody as it was before dispatch.Unframe: the
// reference for the errors.
func oldSnapshotBody(data []byte) ([]byte, error) {
	line, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no header line", ErrCorruptSnapshot)
	}
	var magic string
	var version int
	var sum uint32
	if n, err := fmt.Sscanf(string(line), "%s %d %x", &magic, &version, &sum); err != nil || n != 3 || magic != snapshotMagic {
		return nil, fmt.Errorf("%w: bad header %q", ErrCorruptSnapshot, truncate(line))
	}
	if version != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, this library reads %d", ErrSnapshotVersion, version, SnapshotVersion)
	}
	if string(line) != fmt.Sprintf("%s %d %08x", snapshotMagic, version, sum) {
		return nil, fmt.Errorf("%w: bad header %q", ErrCorruptSnapshot, truncate(line))
	}
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, header says %08x (truncated or altered)", ErrCorruptSnapshot, got, sum)
	}
	return body, nil
}

// The header checks on dispatch.Unframe accept and refuse what the
// recorder's own header code did, with the same error: every header
// byte replaced by characters that matter to the parser, every
// truncation of the header, and headers written by hand.
func TestSnapshotBody_SameErrorsAsBefore(t *testing.T) {
	good, err := scene(t).Snapshot()
	require.NoError(t, err)
	line, body, _ := bytes.Cut(good, []byte("\n"))
	sum := crc32.ChecksumIEEE(body)
	inputs := [][]byte{good, nil, {}, []byte("\n"), body}
	for i := range line {
		for _, c := range []byte("0129afAFx+- _\n\tk") {
			x := bytes.Clone(good)
			x[i] = c
			inputs = append(inputs, x)
		}
		inputs = append(inputs, append(bytes.Clone(line[:i]), append([]byte("\n"), body...)...))
	}
	for _, head := range []string{
		fmt.Sprintf("%s 1 %08x", snapshotMagic, sum),
		fmt.Sprintf("%s 1 %08X", snapshotMagic, sum),
		fmt.Sprintf("%s 01 %08x", snapshotMagic, sum),
		fmt.Sprintf("%s +1 %08x", snapshotMagic, sum),
		fmt.Sprintf("%s 1 %x", snapshotMagic, sum&0xfff),
		fmt.Sprintf("%s 1  %08x", snapshotMagic, sum),
		fmt.Sprintf("%s 1 %08x trailing", snapshotMagic, sum),
		fmt.Sprintf("%s 1 %08x ", snapshotMagic, sum),
		fmt.Sprintf("%s 0 %08x", snapshotMagic, sum),
		fmt.Sprintf("%s 0 00000000", snapshotMagic),
		fmt.Sprintf("%s 00 00000000", snapshotMagic),
		fmt.Sprintf("%s 2 %08x", snapshotMagic, sum),
		fmt.Sprintf("%s 2 00000000", snapshotMagic),
		fmt.Sprintf("%s 99999999999999999999 00000000", snapshotMagic),
		fmt.Sprintf("kefu-snapshot 1 %08x", sum),
		fmt.Sprintf("%s 1", snapshotMagic),
		snapshotMagic,
	} {
		inputs = append(inputs, append([]byte(head+"\n"), body...))
	}
	class := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, ErrSnapshotVersion):
			return "version"
		case errors.Is(err, ErrCorruptSnapshot):
			return "corrupt"
		}
		return "other: " + err.Error()
	}
	for _, x := range inputs {
		wantBody, wantErr := oldSnapshotBody(x)
		gotBody, gotErr := snapshotBody(x)
		head, _, _ := bytes.Cut(x, []byte("\n"))
		assert.Equal(t, class(wantErr), class(gotErr), "header %q: %v", head, gotErr)
		assert.Equal(t, wantBody, gotBody, "header %q", head)
	}
}
