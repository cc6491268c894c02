import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render } from '@testing-library/preact';
import { Mono, ScopePicker, SeverityBadge, SortHeader } from './ui';

describe('components', () => {
  it('render log values as text, never markup', () => {
    const { container } = render(<Mono v={'<img src=x onerror="window.__x=1">'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror="window.__x=1">');
  });
  it('give severity in words and a symbol, not colour alone', () => {
    const { container } = render(<SeverityBadge label="High" value={8} />);
    expect(container.textContent).toContain('High 8');
    expect(container.textContent).toContain('▲');
  });
  it('sort headers flip the order and say their state', () => {
    const onSort = vi.fn();
    const { getByRole } = render(
      <table>
        <thead>
          <tr>
            <SortHeader col="bytes_in" label="Inbound" sort="bytes_in" order="desc" onSort={onSort} />
          </tr>
        </thead>
      </table>,
    );
    expect(getByRole('columnheader').getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(getByRole('button'));
    expect(onSort).toHaveBeenCalledWith('bytes_in', 'asc');
  });
  it('scope presets end at the last activity', () => {
    const onChange = vi.fn();
    const { getByText } = render(<ScopePicker start="2026-11-19T00:00:00Z" end="2026-11-20T00:00:00Z" anchor="2026-11-19T23:59:59Z" onChange={onChange} />);
    fireEvent.click(getByText('6 h'));
    expect(onChange).toHaveBeenCalledWith('2026-11-19T18:00', '2026-11-20T00:00');
  });
  it('refuse a scope that ends before it starts', () => {
    const onChange = vi.fn();
    const { getByLabelText, getByText } = render(<ScopePicker start="2026-11-19T00:00:00Z" end="2026-11-20T00:00:00Z" onChange={onChange} />);
    fireEvent.input(getByLabelText('scope end (UTC)'), { target: { value: '2026-11-18T00:00' } });
    expect((getByText('Apply') as HTMLButtonElement).disabled).toBe(true);
  });
  it('show and take scope times as YYYY-MM-DD HH:MM in UTC, whatever the locale', () => {
    const onChange = vi.fn();
    const { getByLabelText, getByText } = render(<ScopePicker start="2026-11-19T00:00:00Z" end="2026-11-20T00:00:00Z" onChange={onChange} />);
    const start = getByLabelText('scope start (UTC)') as HTMLInputElement;
    expect(start.value).toBe('2026-11-19 00:00');
    fireEvent.input(start, { target: { value: '2026-11-19 21:15' } });
    fireEvent.click(getByText('Apply'));
    expect(onChange).toHaveBeenCalledWith('2026-11-19T21:15', '2026-11-20T00:00');
    fireEvent.input(start, { target: { value: '11/19/2026 9:15 PM' } });
    expect(start.getAttribute('aria-invalid')).toBe('true');
    expect((getByText('Apply') as HTMLButtonElement).disabled).toBe(true);
  });
});
