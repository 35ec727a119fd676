/* seg_ring.h - a bounded single-producer/single-consumer ring of pointers.
 *
 * One thread pushes, one (other) thread pops; neither ever blocks or takes a
 * lock. Waiting, giving up and dropping are the caller's policy: a full or
 * empty ring answers SEG_ERR_AGAIN and the stage decides what to do (sleep
 * and retry, drop the frame, re-check its stop flag).
 *
 * The slots hold pointers, so moving a frame between stages moves only its
 * pointer: the frame itself is the zero-copy payload. (That is why there is
 * no reserve/commit pair: writing a pointer is as cheap as reserving a slot.)
 * peek/release lets a consumer look at the oldest item before taking it.
 *
 * Capacity is a power of two and every slot is usable: the indices are
 * free-running size_t counters, masked on access and compared only by
 * difference (head - tail == capacity means full), after Linux's kfifo.
 *
 * Example (producer thread P, consumer thread C):
 *     seg_ring *r; seg_ring_create(&r, 4);
 *     P: while (seg_ring_try_push(r, frame) == SEG_ERR_AGAIN) wait_or_drop();
 *     C: void *f; if (seg_ring_try_pop(r, &f) == SEG_OK) use(f);
 *     seg_ring_destroy(&r);   // after both threads are done with it
 */
#ifndef SEG_RING_H
#define SEG_RING_H

#include <stddef.h>

#include "seg_status.h"

typedef struct seg_ring seg_ring;

/** Largest capacity seg_ring_create() accepts (2^24 slots, 128 MiB). */
#define SEG_RING_MAX_CAPACITY ((size_t)1 << 24)

/**
 * Create an empty ring.
 * @param out       receives the ring (NULL on failure); free with seg_ring_destroy()
 * @param capacity  slots; a power of two, 1 .. SEG_RING_MAX_CAPACITY
 * @return SEG_OK, SEG_ERR_INVALID (capacity not a power of two or too large),
 *         SEG_ERR_NOMEM.
 */
int seg_ring_create(seg_ring **out, size_t capacity);

/** Free the ring (not the items still in it); NULL-safe, sets *r = NULL.
 *  Neither thread may use the ring any more. */
void seg_ring_destroy(seg_ring **r);

/** The capacity given to seg_ring_create(). Any thread. */
size_t seg_ring_capacity(const seg_ring *r);

/**
 * Producer only: append @p item (any pointer, NULL included).
 * @return SEG_OK, or SEG_ERR_AGAIN when the ring is full (nothing changed).
 */
int seg_ring_try_push(seg_ring *r, void *item);

/**
 * Consumer only: take the oldest item into *item.
 * @return SEG_OK, or SEG_ERR_AGAIN when the ring is empty (*item untouched).
 */
int seg_ring_try_pop(seg_ring *r, void **item);

/**
 * Consumer only: look at the oldest item without taking it. The slot stays
 * the consumer's until seg_ring_release(): the producer cannot overwrite it.
 * @return SEG_OK, or SEG_ERR_AGAIN when the ring is empty.
 */
int seg_ring_peek(seg_ring *r, void **item);

/** Consumer only: drop the item seg_ring_peek() returned (the ring must not
 *  be empty: call it only after a successful peek). */
void seg_ring_release(seg_ring *r);

/**
 * Items in the ring, 0 .. capacity. Exact when called by the producer or the
 * consumer while the other side is idle; otherwise a snapshot that may be
 * stale by the time it returns (good for statistics, not for decisions).
 */
size_t seg_ring_size(const seg_ring *r);

#endif
