package v4l2

import (
	"errors"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sys is the kernel interface the driver uses: ioctl, mmap and poll on one
// open device. Tests substitute a fake device.
type sys interface {
	ioctl(req uintptr, arg unsafe.Pointer) error
	mmap(offset int64, length int) ([]byte, error)
	munmap(b []byte) error
	// poll waits up to timeout for a filled buffer and reports whether one
	// is ready.
	poll(timeout time.Duration) (bool, error)
	close() error
}

// fileSys is sys on a real device node.
type fileSys struct {
	fd  int
	pfd [1]unix.PollFd
}

func openFileSys(path string) (sys, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &fileSys{fd: fd}, nil
}

func (s *fileSys) ioctl(req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s.fd), req, uintptr(arg))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		default:
			return errno
		}
	}
}

func (s *fileSys) mmap(offset int64, length int) ([]byte, error) {
	return unix.Mmap(s.fd, offset, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func (s *fileSys) munmap(b []byte) error { return unix.Munmap(b) }

func (s *fileSys) poll(timeout time.Duration) (bool, error) {
	fds := s.pfd[:]
	fds[0] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	n, err := unix.Poll(fds, int(timeout/time.Millisecond))
	if errors.Is(err, unix.EINTR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
		return false, errors.New("device error or disconnected")
	}
	return n > 0, nil
}

func (s *fileSys) close() error { return unix.Close(s.fd) }
