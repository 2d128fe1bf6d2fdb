#include "hq_alsa.h"
#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct hq_pcm { snd_pcm_t *pcm; };

static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

hq_pcm *hq_pcm_open(const char *name, unsigned rate, char *err, size_t errlen) {
    snd_lib_error_set_handler(quiet);
    snd_pcm_t *pcm = NULL;
    int r = snd_pcm_open(&pcm, name, SND_PCM_STREAM_PLAYBACK, 0);
    if (r < 0) { snprintf(err, errlen, "cannot open ALSA device %s: %s", name, snd_strerror(r)); return NULL; }
    r = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, rate, 1, 200000);
    if (r < 0) {
        snprintf(err, errlen, "ALSA device %s refuses mono 16-bit at %u Hz: %s", name, rate, snd_strerror(r));
        snd_pcm_close(pcm);
        return NULL;
    }
    hq_pcm *p = malloc(sizeof *p);
    p->pcm = pcm;
    return p;
}

long hq_pcm_write(hq_pcm *p, const int16_t *buf, unsigned long frames, char *err, size_t errlen) {
    unsigned long done = 0;
    while (done < frames) {
        snd_pcm_sframes_t n = snd_pcm_writei(p->pcm, buf + done, frames - done);
        if (n < 0) {
            n = snd_pcm_recover(p->pcm, (int)n, 1);   /* underrun or suspend: carry on */
            if (n < 0) { snprintf(err, errlen, "ALSA write: %s", snd_strerror((int)n)); return -1; }
            continue;
        }
        done += (unsigned long)n;
    }
    return (long)done;
}

int hq_pcm_drain(hq_pcm *p) {
    int r = snd_pcm_drain(p->pcm);
    if (r < 0) return r;
    return snd_pcm_prepare(p->pcm);
}

void hq_pcm_close(hq_pcm *p) {
    if (!p) return;
    snd_pcm_drain(p->pcm);
    snd_pcm_close(p->pcm);
    free(p);
}
