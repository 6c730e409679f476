import { h } from './dom.js';

/**
 * The response as the caller received it, piece by piece: each response_chunk record carries
 * pieces {offset_ms, data} (offset since the exchange started), utf-8 text or base64 bytes.
 */
export function responseTimeline(records) {
  const head = records.find((r) => r.type === 'response_head');
  const chunks = records
    .filter((r) => r.type === 'response_chunk')
    .sort((a, b) => (a.part ?? 0) - (b.part ?? 0));
  const decoder = new TextDecoder();
  const pieces = [];
  for (const chunk of chunks) {
    for (const piece of chunk.pieces ?? []) {
      let text = piece.data ?? '';
      if (chunk.encoding === 'base64') {
        const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
        text = decoder.decode(bytes, { stream: true });
      }
      pieces.push({ offset: Number(piece.offset_ms ?? 0), text });
    }
  }
  pieces.sort((a, b) => a.offset - b.offset);
  const start = head ? Number(head.offset_ms ?? 0) : pieces.length ? pieces[0].offset : 0;
  const contentType = head?.headers?.['content-type'] ?? '';
  return { start, pieces, status: head?.status, sse: contentType.startsWith('text/event-stream') };
}

/** The text deltas of a Messages stream, or null when the response is not one. */
function assistantText(raw) {
  let text = '';
  let found = false;
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      const event = JSON.parse(line.slice(5));
      if (event.type === 'content_block_delta' && typeof event.delta?.text === 'string') {
        text += event.delta.text;
        found = true;
      }
    } catch {
      // a data line cut between pieces: the next render has it whole
    }
  }
  return found ? text : null;
}

/** Plays the timeline back with its original timing: play, pause, speed, restart. */
export class Replay {
  constructor(timeline) {
    this.timeline = timeline;
    this.duration = Math.max(0, (timeline.pieces.at(-1)?.offset ?? timeline.start) - timeline.start);
    this.speed = 1;
    this.position = 0; // ms of response time played
    this.shown = 0; // pieces shown
    this.timer = null;
    this.playing = false;

    this.output = h('pre', { class: 'replay-output', id: 'replay-output', 'aria-live': 'off' });
    this.text = h('div', { class: 'replay-text', id: 'replay-text', hidden: true });
    this.clock = h('span', { class: 'replay-clock', id: 'replay-clock' });
    this.state = h('span', { class: 'badge', id: 'replay-state' }, 'ready');
    this.playButton = h('button', { type: 'button', id: 'replay-play' }, 'Play');
    this.playButton.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    const restart = h('button', { type: 'button', id: 'replay-restart' }, 'Restart');
    restart.addEventListener('click', () => this.restart());
    this.speedSelect = h(
      'select',
      { id: 'replay-speed', 'aria-label': 'Speed' },
      [0.25, 0.5, 1, 2, 4, 10].map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)),
    );
    this.speedSelect.addEventListener('change', () => this.setSpeed(Number(this.speedSelect.value)));
    this.element = h(
      'div',
      { class: 'replay' },
      h(
        'p',
        { class: 'muted' },
        `${timeline.pieces.length} writes over ${this.duration} ms; the first byte left ${timeline.start} ms after the request arrived`,
        timeline.status ? ` (status ${timeline.status})` : '',
        '.',
      ),
      h('div', { class: 'controls' }, this.playButton, restart, h('label', {}, 'Speed ', this.speedSelect), this.clock, this.state),
      this.text,
      this.output,
    );
    this.draw();
  }

  play() {
    if (this.shown >= this.timeline.pieces.length) this.reset();
    this.playing = true;
    this.wallStart = performance.now();
    this.positionAtStart = this.position;
    this.playButton.textContent = 'Pause';
    this.state.textContent = 'playing';
    this.tick();
  }

  pause() {
    this.advance();
    this.playing = false;
    clearTimeout(this.timer);
    this.playButton.textContent = 'Play';
    this.state.textContent = 'paused';
  }

  restart() {
    const wasPlaying = this.playing;
    this.stop();
    this.reset();
    if (wasPlaying) this.play();
  }

  setSpeed(speed) {
    if (this.playing) {
      this.advance();
      this.wallStart = performance.now();
      this.positionAtStart = this.position;
    }
    this.speed = speed;
  }

  stop() {
    this.playing = false;
    clearTimeout(this.timer);
    this.playButton.textContent = 'Play';
  }

  reset() {
    this.position = 0;
    this.shown = 0;
    this.output.textContent = '';
    this.state.textContent = 'ready';
    this.draw();
  }

  advance() {
    if (!this.playing) return;
    const elapsed = (performance.now() - this.wallStart) * this.speed;
    this.position = Math.min(this.duration, this.positionAtStart + elapsed);
  }

  tick() {
    this.advance();
    this.draw();
    if (this.shown >= this.timeline.pieces.length) {
      this.stop();
      this.state.textContent = 'finished';
      return;
    }
    const next = this.timeline.pieces[this.shown].offset - this.timeline.start;
    const wait = Math.max(0, Math.min(250, (next - this.position) / this.speed));
    this.timer = setTimeout(() => this.tick(), wait);
  }

  draw() {
    const pieces = this.timeline.pieces;
    let added = '';
    while (this.shown < pieces.length && pieces[this.shown].offset - this.timeline.start <= this.position) {
      added += pieces[this.shown].text;
      this.shown++;
    }
    if (added) {
      this.output.append(added);
      this.output.scrollTop = this.output.scrollHeight;
    }
    if (this.timeline.sse) {
      const text = assistantText(this.output.textContent);
      this.text.hidden = text === null;
      this.text.textContent = text ?? '';
    }
    this.clock.textContent = `${Math.round(this.position)} / ${this.duration} ms · ${this.shown}/${pieces.length} writes`;
  }
}
