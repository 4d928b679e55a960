/**
 * Keyboard focus for a modal dialog (the WAI-ARIA dialog pattern), as a Svelte attachment:
 * `<div role="dialog" aria-modal="true" {@attach modalFocus}>`. On open the control marked
 * `data-autofocus` takes the focus, else the dialog's first control (else the dialog itself), Tab and Shift+Tab go round inside it instead
 * of into the page it covers, and on close the control that opened it gets the focus back.
 */
import type { Attachment } from 'svelte/attachments';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(', ');

function focusables(dialog: HTMLElement): HTMLElement[] {
  return [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (element) => element.getClientRects().length > 0,
  );
}

export const modalFocus: Attachment<HTMLElement> = (dialog) => {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const first = dialog.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(dialog)[0];
  if (first) first.focus();
  else {
    if (!dialog.hasAttribute('tabindex')) dialog.tabIndex = -1;
    dialog.focus();
  }

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Tab') return;
    const inside = focusables(dialog);
    if (inside.length === 0) return;
    const active = document.activeElement;
    const [head, tail] = [inside[0]!, inside.at(-1)!];
    if (event.shiftKey && (active === head || !dialog.contains(active))) {
      event.preventDefault();
      tail.focus();
    } else if (!event.shiftKey && (active === tail || !dialog.contains(active))) {
      event.preventDefault();
      head.focus();
    }
  };
  dialog.addEventListener('keydown', onKeyDown);
  return () => {
    dialog.removeEventListener('keydown', onKeyDown);
    if (opener?.isConnected) opener.focus();
  };
};
