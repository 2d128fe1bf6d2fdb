#include "hq_evdev.h"

#include <errno.h>
#include <fcntl.h>
#include <libevdev-1.0/libevdev/libevdev.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

struct hq_keypad {
    int fd;
    struct libevdev *dev;
    unsigned flag;
};

int hq_keypad_open(const char *path, hq_keypad **out) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct libevdev *dev = NULL;
    int rc = libevdev_new_from_fd(fd, &dev);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    hq_keypad *k = calloc(1, sizeof *k);
    if (k == NULL) {
        libevdev_free(dev);
        close(fd);
        return -ENOMEM;
    }
    k->fd = fd;
    k->dev = dev;
    k->flag = LIBEVDEV_READ_FLAG_NORMAL;
    *out = k;
    return 0;
}

int hq_keypad_grab(hq_keypad *k) { return libevdev_grab(k->dev, LIBEVDEV_GRAB); }

int hq_keypad_fd(const hq_keypad *k) { return k->fd; }

int hq_keypad_next_press(hq_keypad *k, unsigned *code) {
    for (;;) {
        struct input_event ev;
        int rc = libevdev_next_event(k->dev, k->flag, &ev);
        if (rc == -EAGAIN) {
            if (k->flag == LIBEVDEV_READ_FLAG_SYNC) {  // caught up after dropped events
                k->flag = LIBEVDEV_READ_FLAG_NORMAL;
                continue;
            }
            return 0;
        }
        if (rc == LIBEVDEV_READ_STATUS_SYNC) {
            // Events were dropped: replay the state change, but a press lost there stays lost
            // (better than acting on a stale one).
            k->flag = LIBEVDEV_READ_FLAG_SYNC;
            continue;
        }
        if (rc < 0) return rc;
        if (k->flag == LIBEVDEV_READ_FLAG_NORMAL && ev.type == EV_KEY && ev.value == 1) {
            *code = ev.code;
            return 1;
        }
    }
}

void hq_keypad_close(hq_keypad *k) {
    if (k == NULL) return;
    libevdev_grab(k->dev, LIBEVDEV_UNGRAB);
    libevdev_free(k->dev);
    close(k->fd);
    free(k);
}

const char *hq_key_name(unsigned code) { return libevdev_event_code_get_name(EV_KEY, code); }

int hq_key_known(const char *name) { return libevdev_event_code_from_name(EV_KEY, name) >= 0; }

int hq_wait_dir(const char *dir, int timeout_ms) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return -1;
    if (inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    close(fd);
    return n > 0 ? 1 : 0;
}
