#include "seg_image.h"

#include <stdlib.h>
#include <string.h>

#include "seg_status.h"

int seg_pixfmt_bpp(seg_pixfmt f)
{
    switch (f) {
    case SEG_PIX_RGB24: return 3;
    case SEG_PIX_RGBA: return 4;
    case SEG_PIX_GRAY8: return 1;
    default: return 0;
    }
}

int seg_image_alloc(seg_image *img, int width, int height, seg_pixfmt f)
{
    int bpp = seg_pixfmt_bpp(f);
    if (!img || bpp == 0 || width <= 0 || height <= 0)
        return SEG_ERR_INVALID;
    if (width > SEG_MAX_DIM || height > SEG_MAX_DIM ||
        (long long)width * height > SEG_MAX_PIXELS)
        return SEG_ERR_LIMIT;
    /* Rows padded to 64 bytes so SIMD loads of a row never cross into a
     * foreign allocation, plus 64 bytes of tail slack for the same reason. */
    size_t stride = ((size_t)width * (size_t)bpp + 63u) & ~(size_t)63u;
    size_t size = stride * (size_t)height + 64u;
    uint8_t *p = aligned_alloc(64, size);
    if (!p)
        return SEG_ERR_NOMEM;
    memset(p, 0, size);
    memset(img, 0, sizeof(*img));
    img->data = p;
    img->width = width;
    img->height = height;
    img->stride = (int)stride;
    img->format = f;
    return SEG_OK;
}

void seg_image_free(seg_image *img)
{
    if (!img)
        return;
    free(img->data);
    img->data = NULL;
    img->width = img->height = img->stride = 0;
}
