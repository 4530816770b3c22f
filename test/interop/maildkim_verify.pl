#!/usr/bin/perl
# Mail::DKIM (Debian libmail-dkim-perl) as a peer verifier, offline: key records come from the
# job, not DNS (Mail::DKIM::DNS::query is replaced). Reads a JSON array of jobs
# {msg: base64, records: {name: TXT}} on stdin; prints a JSON array with, per job, Mail::DKIM's
# result for each DKIM-Signature in header order (pass, fail, invalid, temperror, none, ...).
use strict;
use warnings;
use JSON::PP;
use MIME::Base64;
use Net::DNS;
use Mail::DKIM::Verifier;

my %records;

{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ( $domain, $type ) = @_;
        my $txt = $records{ lc $domain };
        if ( !defined $txt ) {
            $@ = 'NXDOMAIN';
            return;
        }
        # TXT strings hold at most 255 octets; the verifier joins them again (RFC 6376 §3.6.2.2)
        my @chunks = unpack '(a255)*', $txt;
        @chunks = ('') if !@chunks;
        $@ = 'NOERROR';
        return Net::DNS::RR->new( name => $domain, type => 'TXT', txtdata => [@chunks] );
    };
}

local $/;
my $jobs = decode_json(<STDIN>);
my @out;
for my $job (@$jobs) {
    %records = map { lc($_) => $job->{records}{$_} } keys %{ $job->{records} };
    my $msg = decode_base64( $job->{msg} );
    $msg =~ s/(?<!\r)\n/\r\n/g;
    my @results;
    eval {
        my $v = Mail::DKIM::Verifier->new();
        $v->PRINT($msg);
        $v->CLOSE();
        # signatures() lists them in header order, top first
        @results = map { { result => $_->result, detail => ( $_->result_detail // '' ) } } grep { $_->isa('Mail::DKIM::Signature') } $v->signatures;
        1;
    } or do {
        @results = ( { result => 'error', detail => "$@" } );
    };
    push @out, \@results;
}
print encode_json( \@out );
