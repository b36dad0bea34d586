// A square crop window over a photo: drag to move, wheel or pinch to zoom, arrow keys and +/- too.

export type Box = { x: number; y: number; size: number };

export class Cropper {
  private scale = 1;
  private minScale = 1;
  private ox = 0;
  private oy = 0;
  private pointers = new Map<number, { x: number; y: number }>();
  private pinch = 0;

  constructor(
    private frame: HTMLElement,
    private img: HTMLImageElement,
    private width: number,
    private height: number,
  ) {
    const side = this.side();
    this.minScale = side / Math.min(width, height);
    this.scale = this.minScale;
    this.ox = (side - width * this.scale) / 2;
    this.oy = (side - height * this.scale) / 2;
    this.render();
    frame.addEventListener("pointerdown", (e) => this.down(e));
    frame.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
      frame.addEventListener(type, (e) => this.pointers.delete((e as PointerEvent).pointerId));
    }
    frame.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = frame.getBoundingClientRect();
      this.zoomAt(Math.exp(-e.deltaY / 300), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    frame.addEventListener("keydown", (e) => this.key(e));
  }

  private side(): number {
    return this.frame.clientWidth;
  }

  /** The chosen square in pixels of the upright photo. */
  box(): Box {
    const size = Math.min(Math.round(this.side() / this.scale), this.width, this.height);
    const x = Math.min(Math.max(0, Math.round(-this.ox / this.scale)), this.width - size);
    const y = Math.min(Math.max(0, Math.round(-this.oy / this.scale)), this.height - size);
    return { x, y, size };
  }

  zoomAt(factor: number, cx: number, cy: number): void {
    const next = Math.min(Math.max(this.scale * factor, this.minScale), this.minScale * 8);
    this.ox = cx - ((cx - this.ox) * next) / this.scale;
    this.oy = cy - ((cy - this.oy) * next) / this.scale;
    this.scale = next;
    this.render();
  }

  pan(dx: number, dy: number): void {
    this.ox += dx;
    this.oy += dy;
    this.render();
  }

  private down(e: PointerEvent): void {
    this.frame.setPointerCapture?.(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    this.pinch = this.spread();
  }

  private move(e: PointerEvent): void {
    const last = this.pointers.get(e.pointerId);
    if (!last) return;
    e.preventDefault();
    if (this.pointers.size === 1) {
      this.pan(e.clientX - last.x, e.clientY - last.y);
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      return;
    }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const spread = this.spread();
    if (this.pinch > 0 && spread > 0) {
      const [a, b] = [...this.pointers.values()];
      const r = this.frame.getBoundingClientRect();
      this.zoomAt(spread / this.pinch, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
    }
    this.pinch = spread;
  }

  private spread(): number {
    if (this.pointers.size < 2) return 0;
    const [a, b] = [...this.pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  private key(e: KeyboardEvent): void {
    const step = 10;
    const c = this.side() / 2;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => this.pan(step, 0),
      ArrowRight: () => this.pan(-step, 0),
      ArrowUp: () => this.pan(0, step),
      ArrowDown: () => this.pan(0, -step),
      "+": () => this.zoomAt(1.1, c, c),
      "=": () => this.zoomAt(1.1, c, c),
      "-": () => this.zoomAt(1 / 1.1, c, c),
    };
    if (moves[e.key]) {
      e.preventDefault();
      moves[e.key]();
    }
  }

  private render(): void {
    const side = this.side();
    // Keep the square covered by the photo.
    this.ox = Math.min(0, Math.max(side - this.width * this.scale, this.ox));
    this.oy = Math.min(0, Math.max(side - this.height * this.scale, this.oy));
    this.img.style.width = `${this.width * this.scale}px`;
    this.img.style.height = `${this.height * this.scale}px`;
    this.img.style.transform = `translate(${this.ox}px, ${this.oy}px)`;
    const zoom = (this.scale / this.minScale).toFixed(1);
    this.frame.setAttribute("aria-valuenow", zoom);
    this.frame.setAttribute("aria-valuetext", `zoom ${zoom} times`);
  }
}
