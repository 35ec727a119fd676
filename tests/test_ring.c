/* test_ring.c - the SPSC ring: capacity rules, FIFO order and wrap-around in
 * one thread, and a two-thread stress test that passes 10 million sequence
 * numbers through an 8-slot ring with the consumer checking every one.
 * ctest also runs it under ThreadSanitizer (label "ring"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "seg_ring.h"

static void test_capacity_must_be_power_of_two(void **state)
{
    (void)state;
    seg_ring *r = (seg_ring *)&r; /* must be reset to NULL on failure */
    assert_int_equal(seg_ring_create(&r, 0), SEG_ERR_INVALID);
    assert_null(r);
    assert_int_equal(seg_ring_create(&r, 3), SEG_ERR_INVALID);
    assert_int_equal(seg_ring_create(&r, 6), SEG_ERR_INVALID);
    assert_int_equal(seg_ring_create(&r, SEG_RING_MAX_CAPACITY * 2), SEG_ERR_INVALID);
    assert_int_equal(seg_ring_create(NULL, 4), SEG_ERR_INVALID);
    for (size_t cap = 1; cap <= 1024; cap *= 2) {
        assert_int_equal(seg_ring_create(&r, cap), SEG_OK);
        assert_non_null(r);
        assert_int_equal(seg_ring_capacity(r), cap);
        assert_int_equal(seg_ring_size(r), 0);
        seg_ring_destroy(&r);
        assert_null(r);
    }
    seg_ring_destroy(&r);   /* NULL-safe */
    seg_ring_destroy(NULL);
}

static void test_every_slot_usable_and_fifo(void **state)
{
    (void)state;
    seg_ring *r;
    int items[8];
    void *p;
    assert_int_equal(seg_ring_create(&r, 8), SEG_OK);
    assert_int_equal(seg_ring_try_pop(r, &p), SEG_ERR_AGAIN);
    assert_int_equal(seg_ring_peek(r, &p), SEG_ERR_AGAIN);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(seg_ring_try_push(r, &items[i]), SEG_OK);
        assert_int_equal(seg_ring_size(r), (size_t)i + 1);
    }
    /* All 8 slots hold items: the 9th push is refused and changes nothing. */
    assert_int_equal(seg_ring_try_push(r, &items[0]), SEG_ERR_AGAIN);
    assert_int_equal(seg_ring_size(r), 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(seg_ring_peek(r, &p), SEG_OK);
        assert_ptr_equal(p, &items[i]);
        assert_int_equal(seg_ring_peek(r, &p), SEG_OK); /* peek does not consume */
        assert_ptr_equal(p, &items[i]);
        seg_ring_release(r);
    }
    assert_int_equal(seg_ring_try_pop(r, &p), SEG_ERR_AGAIN);
    /* NULL is an item like any other. */
    assert_int_equal(seg_ring_try_push(r, NULL), SEG_OK);
    p = &p;
    assert_int_equal(seg_ring_try_pop(r, &p), SEG_OK);
    assert_null(p);
    seg_ring_destroy(&r);
}

static void test_wraps_around_many_times(void **state)
{
    (void)state;
    seg_ring *r;
    assert_int_equal(seg_ring_create(&r, 4), SEG_OK);
    uintptr_t next_in = 1, next_out = 1;
    /* Uneven batches so head and tail meet the wrap at every offset. */
    for (int round = 0; round < 10000; round++) {
        int n = 1 + round % 4;
        for (int i = 0; i < n; i++)
            assert_int_equal(seg_ring_try_push(r, (void *)next_in++), SEG_OK);
        int m = 1 + (round * 7) % n;
        for (int i = 0; i < m; i++) {
            void *p;
            assert_int_equal(seg_ring_try_pop(r, &p), SEG_OK);
            assert_int_equal((uintptr_t)p, next_out++);
        }
        /* Drain what is left so the next round starts with room. */
        void *p;
        while (seg_ring_try_pop(r, &p) == SEG_OK)
            assert_int_equal((uintptr_t)p, next_out++);
    }
    assert_int_equal(next_in, next_out);
    seg_ring_destroy(&r);
}

/* ---- two threads -------------------------------------------------------- */

#define STRESS_COUNT 10000000u
#define STRESS_CAP 8

/* The ring carries pointers into payload[], one entry per slot, as the
 * pipeline carries pointers to pooled frames: the producer writes an entry
 * only once the ring has room (so the consumer is done with it), and the
 * consumer reads it between peek and release. A missing acquire or release
 * shows up as a wrong value here, or as a race under ThreadSanitizer. */
typedef struct stress {
    seg_ring *r;
    uint64_t payload[STRESS_CAP];
    uint64_t full, empty;  /* how often each side found the ring so */
    uint64_t errors;       /* consumer: items out of sequence */
    uint64_t received;
} stress;

static void *producer(void *arg)
{
    stress *s = arg;
    for (uint64_t i = 1; i <= STRESS_COUNT; i++) {
        while (seg_ring_size(s->r) == STRESS_CAP) {
            s->full++;
            sched_yield();
        }
        uint64_t *slot = &s->payload[i % STRESS_CAP];
        *slot = i;
        if (seg_ring_try_push(s->r, slot) != SEG_OK)
            s->errors++; /* cannot happen: only we fill it */
    }
    return NULL;
}

static void *consumer(void *arg)
{
    stress *s = arg;
    uint64_t want = 1;
    while (want <= STRESS_COUNT) {
        void *p;
        if (seg_ring_peek(s->r, &p) != SEG_OK) {
            s->empty++;
            sched_yield();
            continue;
        }
        uint64_t got = *(const uint64_t *)p;
        seg_ring_release(s->r);
        if (got != want || p != &s->payload[want % STRESS_CAP])
            s->errors++;
        want++;
        s->received++;
    }
    return NULL;
}

static void test_two_threads_pass_ten_million_in_order(void **state)
{
    (void)state;
    stress s = {0};
    assert_int_equal(seg_ring_create(&s.r, STRESS_CAP), SEG_OK);
    pthread_t pt, ct;
    assert_int_equal(pthread_create(&ct, NULL, consumer, &s), 0);
    assert_int_equal(pthread_create(&pt, NULL, producer, &s), 0);
    pthread_join(pt, NULL);
    pthread_join(ct, NULL);
    printf("# %u items through %d slots: producer found it full %llu times, consumer "
           "empty %llu times\n",
           STRESS_COUNT, STRESS_CAP, (unsigned long long)s.full, (unsigned long long)s.empty);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.received, STRESS_COUNT);
    void *p;
    assert_int_equal(seg_ring_try_pop(s.r, &p), SEG_ERR_AGAIN);
    seg_ring_destroy(&s.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_must_be_power_of_two),
        cmocka_unit_test(test_every_slot_usable_and_fifo),
        cmocka_unit_test(test_wraps_around_many_times),
        cmocka_unit_test(test_two_threads_pass_ten_million_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
