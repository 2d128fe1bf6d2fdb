// A thin C face on libevdev for the keypad driver: open an evdev node, grab it, read key presses,
// name keys. Only plain C types cross it, so no kernel or libc struct (input_event, timeval)
// becomes part of a Swift module and shadows the C library's own.
#ifndef HQ_EVDEV_H
#define HQ_EVDEV_H

typedef struct hq_keypad hq_keypad;

/// Opens the evdev node `path` (non-blocking) and reads its capabilities; 0 with the keypad in
/// `out`, or a negative errno.
int hq_keypad_open(const char *path, hq_keypad **out);
/// EVIOCGRAB: the device's events go to this process only. 0, or a negative errno.
int hq_keypad_grab(hq_keypad *k);
/// The descriptor to poll.
int hq_keypad_fd(const hq_keypad *k);
/// The next key press (EV_KEY value 1; releases, auto-repeat and other events are skipped):
/// 1 with the key's code in `code`, 0 when nothing is pending, or a negative errno (the device
/// failed or went away). After dropped events it resynchronises and goes on.
int hq_keypad_next_press(hq_keypad *k, unsigned *code);
/// Ungrabs, frees and closes.
void hq_keypad_close(hq_keypad *k);

/// libevdev's name for a key or button code ("KEY_KPENTER"), or NULL.
const char *hq_key_name(unsigned code);
/// Whether libevdev knows `name` as a key or button.
int hq_key_known(const char *name);

/// Waits until something in directory `dir` is created, moved in or changes attributes
/// (inotify), at most `timeout_ms`: 1 on a change, 0 on timeout, -1 when it cannot watch.
int hq_wait_dir(const char *dir, int timeout_ms);

#endif
