// A thin C face on libasound for the voice announcer: open a playback PCM, write mono 16-bit
// frames (recovering from underruns), drain and close. ALSA's own error printing is silenced:
// failures come back as text for hallqd's log and `devices`.
#ifndef HQ_ALSA_H
#define HQ_ALSA_H
#include <stddef.h>
#include <stdint.h>

typedef struct hq_pcm hq_pcm;

/// Opens `name` (an ALSA PCM: "default", "hw:1,0", "file:FILE=/tmp/x.wav,FORMAT=wav") for mono
/// S16_LE at `rate`; NULL with the reason in `err` on failure.
hq_pcm *hq_pcm_open(const char *name, unsigned rate, char *err, size_t errlen);
/// Writes all `frames`; the number written, or -1 with the reason in `err`.
long hq_pcm_write(hq_pcm *p, const int16_t *buf, unsigned long frames, char *err, size_t errlen);
/// Plays out what is buffered and makes the PCM ready for the next write (between announcements,
/// so each is heard to its end and a `file:` device has all of it).
int hq_pcm_drain(hq_pcm *p);
/// Plays out what is buffered, then closes.
void hq_pcm_close(hq_pcm *p);

#endif
