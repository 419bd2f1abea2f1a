package pgtest

import (
	"os/exec"
	"syscall"
)

// detach puts postgres in its own process group, so a terminal's Ctrl-C
// reaches only the program that started it (which then calls Stop), and has
// the kernel kill it if that program dies without stopping it.
func detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
