package main

import (
	"testing"

	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) { devstack.Main(m) }
