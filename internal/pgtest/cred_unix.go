//go:build unix

package pgtest

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// credential is the OS user initdb and postgres run as; the zero value is
// the caller.
type credential struct {
	uid, gid uint32
	set      bool
}

// runAs prepares dir for the server: as root it picks the OS user postgres,
// gives it dir, and checks that it can reach dir.
func runAs(dir string) (credential, error) {
	if os.Geteuid() != 0 {
		return credential{}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return credential{}, fmt.Errorf("pgtest: running as root needs the OS user postgres to run the server as (postgres refuses root): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return credential{}, fmt.Errorf("pgtest: user postgres has ids %q:%q", u.Uid, u.Gid)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return credential{}, fmt.Errorf("pgtest: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return credential{}, fmt.Errorf("pgtest: user postgres cannot reach %s through %s (mode %s); use a directory made by os.MkdirTemp(\"\", ...)", dir, p, fi.Mode().Perm())
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(uid), int(gid))
	})
	if err != nil {
		return credential{}, fmt.Errorf("pgtest: give %s to user postgres: %w", dir, err)
	}
	return credential{uid: uint32(uid), gid: uint32(gid), set: true}, nil
}

// apply makes cmd run as c.
func (c credential) apply(cmd *exec.Cmd) {
	if !c.set {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.uid, Gid: c.gid}
}
