package conversation_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/regbot/regbot/conversation"
)

// Clone copies every field of a session, and shares no memory with it: a
// field added later (a slice, a map, a pointer) that Clone does not copy
// deeply fails here, since fill sets every field there is.
func TestSessionClone(t *testing.T) {
	var s conversation.Session
	fill(reflect.ValueOf(&s).Elem(), 1)
	if s.AccountLocked == nil || len(s.App.Accounts[0].Units) == 0 {
		t.Fatal("fill left fields empty")
	}

	c := s.Clone()

	if c.AccountLocked != nil {
		t.Error("the clone carries AccountLocked, which holds for one update only")
	}
	if diff := cmp.Diff(s, c, cmpopts.IgnoreFields(conversation.Session{}, "AccountLocked")); diff != "" {
		t.Errorf("the clone differs (-session +clone):\n%s", diff)
	}
	for _, p := range shared(reflect.ValueOf(s), reflect.ValueOf(c), "Session") {
		if p != "Session.AccountLocked" {
			t.Errorf("%s is shared between the session and its clone", p)
		}
	}

	// Nil slices stay nil, so that a clone encodes as its original.
	var empty conversation.Session
	if diff := cmp.Diff(empty, empty.Clone()); diff != "" {
		t.Errorf("the clone of an empty session differs:\n%s", diff)
	}
}

// fill sets every settable field reachable from v to a value that is not
// zero, slices to two elements.
func fill(v reflect.Value, n int) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2026, 12, 1, 10, 0, n, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x" + string(rune('a'+n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n))
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, n+i+1)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n+i+1)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n+1)
		fill(e, n+2)
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n+1)
	default:
		panic("fill: no value for kind " + v.Kind().String() + " (" + v.Type().String() + ")")
	}
}

// shared returns the paths of the slices, maps and pointers that a and b
// (of one type) both point into.
func shared(a, b reflect.Value, path string) []string {
	var out []string
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				out = append(out, shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Index(0).Addr().Pointer() == b.Index(0).Addr().Pointer() {
			return append(out, path)
		}
		for i := range min(a.Len(), b.Len()) {
			out = append(out, shared(a.Index(i), b.Index(i), path+"[]")...)
		}
	case reflect.Map, reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return append(out, path)
		}
		if a.Kind() == reflect.Pointer && !a.IsNil() && !b.IsNil() {
			out = append(out, shared(a.Elem(), b.Elem(), path)...)
		}
	}
	return out
}
