#!/usr/bin/env python3
# Drives a command through a pseudo-terminal, as a person at a keyboard would:
#   pty-driver.py STEPS.json -- command args...
# STEPS.json is a list of {"expect": <regex>, "send": <text>}: wait (up to
# "timeout" seconds, default 20) until the screen output so far matches the
# regex (ANSI escapes removed), then type the text. Prints the whole output
# (escapes removed) and exits with the command's exit code; 124 when a step
# times out.
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]")

def main():
    steps = json.load(open(sys.argv[1]))
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    # an 80x24 screen: a pty starts at 0x0, which prompt libraries wrap at every character
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    raw = b""
    seen_upto = 0

    def read(timeout):
        nonlocal raw
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        raw += data
        return True

    def text():
        return ANSI.sub(b"", raw).decode("utf-8", "replace")

    for step in steps:
        deadline = time.time() + step.get("timeout", 20)
        pattern = re.compile(step["expect"], re.S)
        while True:
            m = pattern.search(text(), seen_upto)
            if m:
                seen_upto = m.end()
                break
            if time.time() > deadline:
                sys.stdout.write(text())
                sys.stdout.write("\n[pty-driver] timed out waiting for: %s\n" % step["expect"])
                os.kill(pid, signal.SIGKILL)
                sys.exit(124)
            if not read(0.1):
                time.sleep(0.05)
        time.sleep(0.15)  # let the prompt finish drawing before typing
        os.write(fd, step["send"].encode())
    # the last answer given: the command should now finish on its own
    end = time.time() + 30
    while True:
        alive = read(0.2)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            while read(0.05) and time.time() < end:
                pass
            sys.stdout.write(text())
            sys.exit(os.waitstatus_to_exitcode(status))
        if time.time() > end:
            os.kill(pid, signal.SIGKILL)
            sys.stdout.write(text())
            sys.stdout.write("\n[pty-driver] timed out waiting for the command to end\n")
            sys.exit(124)
        if not alive:
            time.sleep(0.05)

main()
